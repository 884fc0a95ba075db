#!/usr/bin/env node
// Brings a fresh Debian/Ubuntu machine to the point where `npm start` and `npm test` run.
// Dependency-free on purpose: it runs before `npm install` has put anything in node_modules.
//
//   node scripts/setup.mjs              what `npm start` needs
//   node scripts/setup.mjs --for-tests  also what the test suite talks to (mosquitto clients, …)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { debianMirrors } from "./debian-mirrors.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const forTests = process.argv.includes("--for-tests");

/** nats-server 2.10 or later: `jetstream.sync_interval`, which `lifeline up` sets to `always`. */
const NATS_SERVER_CHECK = "nats-server --version 2>/dev/null | grep -Eq 'v(2\\.(1[0-9]|[2-9][0-9])|[3-9])\\.'";

/**
 * Debian 12's own package is 2.9.10, which cannot sync before it acknowledges. Debian 13's build
 * (a Go program that needs only libc6 >= 2.34) installs on Debian 12 and Ubuntu 22.04 and later;
 * the file is pinned by its SHA-256, as Debian's package index lists it.
 */
const NATS_SERVER_DEB = {
  amd64: {
    path: "pool/main/n/nats-server/nats-server_2.10.27-1+b2_amd64.deb",
    sha256: "6d913ac987b78734c08537c2adeb1526cf735f216173a9170d94b185fcfe6f8a",
  },
  arm64: {
    path: "pool/main/n/nats-server/nats-server_2.10.27-1+b2_arm64.deb",
    sha256: "0c9a617510b28c1b4fb4a38aabea6ab8cd7f026247f2abdff8b955b2278ce049",
  },
};

/** apt's source files, for the Debian mirror it uses (see debian-mirrors.mjs). */
function aptSources() {
  const files = ["/etc/apt/sources.list"];
  try {
    for (const name of readdirSync("/etc/apt/sources.list.d").sort()) {
      if (name.endsWith(".list") || name.endsWith(".sources")) files.push(join("/etc/apt/sources.list.d", name));
    }
  } catch {
    // no such folder
  }
  return files.flatMap((path) => {
    try {
      return [{ path, text: readFileSync(path, "utf8") }];
    } catch {
      return [];
    }
  });
}

/** The package's bytes from the first mirror that serves them with the pinned SHA-256. */
async function download(deb) {
  for (const mirror of debianMirrors(aptSources())) {
    const url = `${mirror}/${deb.path}`;
    say(`downloading ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!response.ok) {
        say(`  HTTP ${response.status}`);
        continue;
      }
      const bytes = Buffer.from(await response.arrayBuffer());
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      if (sha256 === deb.sha256) return bytes;
      say(`  refused: its SHA-256 is ${sha256}, expected ${deb.sha256}`);
    } catch (error) {
      say(`  failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return undefined;
}

/** Each program the stack or the tests run, how to tell it is there, and the Debian package that provides it. */
const SYSTEM_PACKAGES = [
  {
    // Its version is checked after apt ran (installNewerNatsServer): Debian 12's is too old.
    check: "command -v nats-server",
    apt: "nats-server",
    why: "the NATS JetStream server that lifeline up starts (2.10 or later: it syncs to disk before acknowledging)",
    forTests: false,
  },
  {
    check: "command -v mosquitto_pub",
    apt: "mosquitto-clients",
    why: "the independent MQTT client of the interop tests",
    forTests: true,
  },
  {
    // Debian's Python packages are seen by /usr/bin/python3, not by a python3 earlier on the PATH.
    check: "/usr/bin/python3 -c 'import pymodbus'",
    apt: "python3-pymodbus",
    why: "the independent Modbus peer of the tests",
    forTests: true,
  },
  {
    // pymodbus's server module imports pyserial-asyncio, which Debian's package only recommends.
    check: "/usr/bin/python3 -c 'import serial_asyncio'",
    apt: "python3-serial-asyncio",
    why: "pyserial-asyncio, which pymodbus's server imports",
    forTests: true,
  },
  {
    check: "command -v strace",
    apt: "strace",
    why: "counts nats-server's syncs to disk in the JetStream sync test",
    forTests: true,
  },
  {
    check: "command -v socat",
    apt: "socat",
    why: "the pseudo-terminal pair that stands in for a serial cable in the tests",
    forTests: true,
  },
  {
    check: "command -v ffmpeg && command -v ffprobe",
    apt: "ffmpeg",
    why: "decodes camera streams to sampled frames (video analytics) and encodes the simulated cameras' video",
    forTests: false,
  },
  {
    check: "/usr/bin/python3 -c 'import gi'",
    apt: "python3-gi",
    why: "GStreamer's Python bindings, which the simulated cameras' RTSP server uses",
    forTests: false,
  },
  {
    check: gstCheck("import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"),
    apt: "gir1.2-gst-rtsp-server-1.0",
    why: "GStreamer's RTSP server, which serves the simulated cameras' streams (ffmpeg cannot serve RTSP)",
    forTests: false,
  },
  ...[
    ["videoconvert", "gstreamer1.0-plugins-base"],
    ["rtph264pay", "gstreamer1.0-plugins-good"],
    ["h264parse", "gstreamer1.0-plugins-bad"],
    ["x264enc", "gstreamer1.0-plugins-ugly"],
  ].map(([element, apt]) => ({
    check: gstCheck(`from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find('${element}')`),
    apt,
    why: `GStreamer's ${element}, used by the simulated cameras`,
    forTests: false,
  })),
];

/** A shell check that runs a line of Debian's Python with GStreamer's bindings loaded. */
function gstCheck(python) {
  return `/usr/bin/python3 -c "import gi; gi.require_version('Gst', '1.0'); ${python}"`;
}

function say(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function present(check) {
  return spawnSync("sh", ["-c", check], { stdio: "ignore" }).status === 0;
}

function run(command, args, options = {}) {
  say(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit", cwd: root, ...options });
  if (result.status !== 0) {
    say(`'${command} ${args.join(" ")}' failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    say(`Node.js ${process.versions.node} is too old: Lifeline needs Node.js >= 20.19`);
    process.exit(1);
  }
}

function installSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter((p) => (forTests || !p.forTests) && !present(p.check));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.apt);
  for (const p of missing) say(`missing ${p.apt}: ${p.why}`);
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !present("command -v apt-get")) {
    say(
      `install them, then run this again:\n\n    sudo apt-get update && sudo apt-get install -y ${names.join(" ")}\n`,
    );
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...names], { stdio: "inherit", env });
  if (install().status !== 0) {
    run("apt-get", ["update", "-q"], { env }); // a fresh machine has no package lists yet
    run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...names], { env });
  }
}

/** When the distribution's nats-server is older than 2.10: Debian 13's package, checked, through apt. */
async function installNewerNatsServer() {
  if (present(NATS_SERVER_CHECK)) return;
  const arch = spawnSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).stdout?.trim();
  const deb = NATS_SERVER_DEB[arch];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (deb === undefined || !isRoot) {
    say(
      `nats-server 2.10 or later is needed (${spawnSync("sh", ["-c", "nats-server --version"], { encoding: "utf8" }).stdout?.trim() || "none found"}); install it from https://github.com/nats-io/nats-server/releases${deb ? ", or run this again as root: it installs Debian 13's package" : ""}; or, without it, run \`node cli/bin/lifeline.js up --jetstream-sync server\` (a power cut may then lose up to 2 minutes of acknowledged readings)`,
    );
    process.exit(1);
  }
  say("nats-server is older than 2.10: installing Debian 13's package");
  const bytes = await download(deb);
  if (bytes === undefined) {
    say(`could not download ${deb.path} from any Debian mirror; install nats-server 2.10 or later yourself`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), "lifeline-setup-"));
  const file = join(dir, deb.path.slice(deb.path.lastIndexOf("/") + 1));
  writeFileSync(file, bytes);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["install", "-y", "-q", "--no-install-recommends", file], { env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!present(NATS_SERVER_CHECK)) {
    say("nats-server is still older than 2.10 after installing it (another one earlier on the PATH?)");
    process.exit(1);
  }
}

function installNodeModules() {
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  const fresh = existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs);
  if (fresh) return;
  run("npm", ["install", "--no-audit", "--no-fund"]);
}

checkNode();
installSystemPackages();
await installNewerNatsServer();
installNodeModules();
