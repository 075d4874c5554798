import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";
import { receiveSecurityEvent } from "../app/security-events";
import { AuthError } from "../errors";
import { readBodyText } from "../http/request-body";
import { MAX_SET_LENGTH } from "../risc/security-event";

/**
 * POST {AUTH_PREFIX}/risc: Google's Cross-Account Protection pushes Security Event Tokens here
 * (RFC 8935): `202` once accepted, `400` with `{"err", "description"}` otherwise (an RFC 8935
 * error: invalid_request, invalid_key, invalid_issuer, invalid_audience); 503 when the
 * transmitter's keys or the session store cannot be reached, so the transmitter tries again.
 */
export async function riscRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  const type = (ctx.raw.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/secevent+jwt")
    throw new AuthError("ERR_SET_INVALID_REQUEST", { detail: "content-type is not application/secevent+jwt" });
  const token = await readBodyText(ctx.raw, MAX_SET_LENGTH);
  if (token === undefined) throw new AuthError("ERR_SET_INVALID_REQUEST", { detail: "body too large" });
  await receiveSecurityEvent(ctx, token.trim());
  return new Response(null, { status: 202, headers: { "Cache-Control": "no-store" } });
}
