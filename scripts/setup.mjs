#!/usr/bin/env node
// Brings a fresh Debian/Ubuntu machine to the point where `npm start` and `npm test` run.
// Dependency-free on purpose: it runs before `npm install` has put anything in node_modules.
//
//   node scripts/setup.mjs              what `npm start` needs
//   node scripts/setup.mjs --for-tests  also what the test suite talks to (mosquitto clients, …)
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const forTests = process.argv.includes("--for-tests");

/** Each program the stack or the tests run, how to tell it is there, and the Debian package that provides it. */
const SYSTEM_PACKAGES = [
  {
    check: "command -v nats-server",
    apt: "nats-server",
    why: "the NATS JetStream server that lifeline up starts",
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

function installNodeModules() {
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  const fresh = existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs);
  if (fresh) return;
  run("npm", ["install", "--no-audit", "--no-fund"]);
}

checkNode();
installSystemPackages();
installNodeModules();
