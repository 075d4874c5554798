import { logEvent } from "../log";
import type { RequestContext } from "./request-context";

const DAY_MS = 86_400_000;

/** The UTC day this isolate last logged a held rotation, per reason: once a day per isolate is enough to see it. */
const loggedDay = { quota: -1, share: -1 };

const DETAIL = {
  quota: "the session store refuses writes until 00:00 UTC: refresh tokens are kept, not rotated",
  share:
    "a person or address spent its daily share of the session store's writes: its refresh tokens are kept, not rotated",
} as const;

/**
 * A refresh whose rotation the store refused for the day (KV's daily write quota, or the
 * person's or address's share of it): the person keeps their session on the same refresh token
 * and a new access token (docs/capacity.md). Counted in the decision's outcome
 * (OK_ROTATION_HELD) on every such request; logged once a day per reason.
 */
export function noteRotationHeld(ctx: RequestContext, reason: "quota" | "share"): void {
  ctx.outcome = "OK_ROTATION_HELD";
  const day = Math.floor(ctx.nowMs / DAY_MS);
  if (day === loggedDay[reason]) return;
  loggedDay[reason] = day;
  const code = reason === "quota" ? "ERR_SESSION_STORE_QUOTA" : "ERR_DAILY_SHARE_SPENT";
  logEvent("warn", "refresh_rotation_held", { code, detail: DETAIL[reason] });
}
