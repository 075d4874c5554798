import { logEvent } from "../log";
import type { RequestContext } from "./request-context";

const DAY_MS = 86_400_000;

/** The UTC day this isolate last logged a held rotation: once a day per isolate is enough to see it. */
let loggedDay = -1;

/**
 * A refresh whose rotation the store refused for the day (KV's daily write quota): the person
 * keeps their session on the same refresh token and a new access token (docs/capacity.md).
 * Counted in the decision's outcome (OK_ROTATION_HELD) on every such request; logged once.
 */
export function noteRotationHeld(ctx: RequestContext): void {
  ctx.outcome = "OK_ROTATION_HELD";
  const day = Math.floor(ctx.nowMs / DAY_MS);
  if (day === loggedDay) return;
  loggedDay = day;
  logEvent("warn", "refresh_rotation_held", {
    code: "ERR_SESSION_STORE_QUOTA",
    detail: "the session store refuses writes until 00:00 UTC: refresh tokens are kept, not rotated",
  });
}
