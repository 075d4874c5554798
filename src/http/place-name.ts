/**
 * Where a request came from, as a person reads it ("Lisbon, Portugal"), from the location
 * Cloudflare attaches to it (`request.cf.country`, `request.cf.city`): never from the client's
 * address, which the worker does not keep.
 * @see https://developers.cloudflare.com/workers/runtime-apis/request/#incomingrequestcfproperties
 */

/** ISO 3166-1 alpha-2; Cloudflare also sends `XX` (unknown) and `T1` (Tor), which name no place. */
const COUNTRY = /^[A-Z]{2}$/;
const NOT_A_PLACE = new Set(["XX", "T1"]);
/** A city name as a person reads it; anything longer or with control characters is left out. */
const MAX_CITY_LENGTH = 80;

const CONTROL = /[\u0000-\u001f\u007f]/;

let regionNames: Intl.DisplayNames | undefined;

function countryName(code: string): string {
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/** "City, Country", "Country", or undefined when Cloudflare did not say (local development). */
export function placeName(cf: { country?: unknown; city?: unknown } | undefined): string | undefined {
  const country =
    typeof cf?.country === "string" && COUNTRY.test(cf.country) && !NOT_A_PLACE.has(cf.country)
      ? countryName(cf.country)
      : undefined;
  if (!country) return undefined;
  const city = typeof cf?.city === "string" ? cf.city.trim() : "";
  return city && city.length <= MAX_CITY_LENGTH && !CONTROL.test(city) ? `${city}, ${country}` : country;
}
