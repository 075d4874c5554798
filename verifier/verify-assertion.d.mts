import type { IncomingMessage } from "node:http";
import type { JWTHeaderParameters, JWTPayload } from "jose";

export declare const ASSERTION_HEADER: "x-auth-assertion";
export declare const ASSERTION_TYPE: "auth-assertion+jwt";
type Verified = { claims: JWTPayload; header: JWTHeaderParameters };
/** A signed-in person. */
export type PersonAssertion = Verified & { sub: string; email: string; hd?: string; workload?: undefined };
/** A TRUSTED_WORKLOADS caller: its name, and an e-mail only when its token had a verified one. */
export type WorkloadAssertion = Verified & { sub: string; email?: string; workload: string };
export declare function verifyAssertion(
  request: Request | IncomingMessage,
  options: { jwksUrl: string; issuer: string; audience: string; workloads?: false },
): Promise<PersonAssertion>;
export declare function verifyAssertion(
  request: Request | IncomingMessage,
  options: { jwksUrl: string; issuer: string; audience: string; workloads: boolean },
): Promise<PersonAssertion | WorkloadAssertion>;
