// The Debian archives apt is configured with, for a package to fetch from Debian's pool when apt's
// own suites have too old a version. Dependency-free: setup runs it before `npm install`.

/** Debian's own content network: the last place tried. */
export const DEBIAN_CDN = "http://deb.debian.org/debian";

/**
 * The Debian archives named by apt's sources — one-line `.list` files and deb822 `.sources` files —
 * in the order apt lists them, then Debian's CDN. A national or local mirror (where deb.debian.org
 * is slow or unreachable, as from many networks in China) serves the same pool; security archives,
 * Ubuntu's and other vendors' (Node's) are left out, as are source-only and disabled entries.
 * @param {ReadonlyArray<{ path: string; text: string }>} sources
 * @returns {string[]}
 */
export function debianMirrors(sources) {
  const uris = [];
  for (const { path, text } of sources) {
    if (path.endsWith(".sources")) {
      for (const stanza of text.split(/\n[ \t]*\n/)) {
        const fields = new Map();
        for (const line of stanza.split("\n")) {
          const colon = line.indexOf(":");
          if (line.startsWith("#") || /^\s/.test(line) || colon < 1) continue;
          fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        if (!(fields.get("types") ?? "").split(/\s+/).includes("deb")) continue;
        if ((fields.get("enabled") ?? "yes").toLowerCase() === "no") continue;
        uris.push(...(fields.get("uris") ?? "").split(/\s+/));
      }
    } else {
      for (const line of text.split("\n")) {
        const deb = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
        if (deb?.[1] !== undefined) uris.push(deb[1]);
      }
    }
  }
  const debian = uris.map((u) => u.replace(/\/+$/, "")).filter((u) => /^https?:\/\/\S+\/debian$/.test(u));
  return [...new Set([...debian, DEBIAN_CDN])];
}
