import type { IncomingMessage } from "node:http";
import type { JWTHeaderParameters, JWTPayload } from "jose";

export declare const ASSERTION_HEADER: "x-auth-assertion";
export declare const ASSERTION_TYPE: "auth-assertion+jwt";
export declare function verifyAssertion(
  request: Request | IncomingMessage,
  options: { jwksUrl: string; issuer: string; audience: string },
): Promise<{ sub: string; email: string; hd?: string; claims: JWTPayload; header: JWTHeaderParameters }>;
