import tseslint from "typescript-eslint";

/** The TypeScript programs the typed rules read (scripts/static-checks.mjs builds the same ones for `npm test`). */
export const TYPED_PROJECTS = ["./tsconfig.json", "./tsconfig.node.json"];

/**
 * typescript-eslint with type information over every TypeScript file: the worker and the tests
 * that run in workerd (tsconfig.json), and the Node side (tsconfig.node.json).
 */
export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".wrangler/", ".demo/", "types/", "**/*.mjs", "**/*.js"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: TYPED_PROJECTS, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Hono handlers and the store interface are async by contract, whether or not one awaits.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Tests read JSON bodies and log lines as whatever the worker sent: `any` there is the point.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      // `(await response.json()) as Echo` reads better in a test than `response.json<Echo>()`.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // Test doubles stringify whatever they were handed, and pass async handlers to Node's servers.
      "@typescript-eslint/no-base-to-string": "off",
      "@typescript-eslint/no-misused-promises": "off",
      "@typescript-eslint/unbound-method": "off",
    },
  },
);
