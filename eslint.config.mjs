import tseslint from "typescript-eslint";

/**
 * typescript-eslint with type information over every TypeScript file: the worker and the tests
 * that run in workerd (tsconfig.json), and the Node side (tsconfig.node.json).
 */
export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".wrangler/", ".demo/", "types/", "**/*.mjs", "**/*.js"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ["./tsconfig.json", "./tsconfig.node.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Tests and the worker both pass promises to places that handle them (waitUntil, vitest).
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
