import { describe, expect, it } from "vitest";
import { DEBIAN_CDN, debianMirrors } from "../debian-mirrors.mjs";

describe("debianMirrors", () => {
  it("lists apt's Debian archives in order, then Debian's CDN, and nothing else", () => {
    const sources = [
      {
        path: "/etc/apt/sources.list",
        text: [
          "# deb http://commented.example/debian bookworm main",
          "deb [arch=amd64 signed-by=/usr/share/keyrings/debian.gpg] https://mirrors.aliyun.com/debian/ bookworm main",
          "deb-src https://mirrors.aliyun.com/debian-src/debian bookworm main",
          "deb https://mirrors.aliyun.com/debian-security bookworm-security main",
        ].join("\n"),
      },
      {
        path: "/etc/apt/sources.list.d/debian.sources",
        text: [
          "Types: deb",
          "# http://snapshot.debian.org/archive/debian/20250520T000000Z",
          "URIs: https://mirrors.tuna.tsinghua.edu.cn/debian http://deb.debian.org/debian/",
          "Suites: bookworm bookworm-updates",
          "Components: main",
          "",
          "Types: deb",
          "URIs: http://disabled.example/debian",
          "Suites: bookworm",
          "Enabled: no",
          "",
          "Types: deb-src",
          "URIs: http://source-only.example/debian",
          "Suites: bookworm",
        ].join("\n"),
      },
      {
        path: "/etc/apt/sources.list.d/nodesource.list",
        text: "deb https://deb.nodesource.com/node_20.x nodistro main",
      },
      { path: "/etc/apt/sources.list.d/ubuntu.sources", text: "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\n" },
    ];
    expect(debianMirrors(sources)).toEqual([
      "https://mirrors.aliyun.com/debian",
      "https://mirrors.tuna.tsinghua.edu.cn/debian",
      "http://deb.debian.org/debian",
    ]);
  });

  it("falls back to Debian's CDN alone", () => {
    expect(debianMirrors([])).toEqual([DEBIAN_CDN]);
  });
});
