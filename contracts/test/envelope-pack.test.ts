import { describe, expect, it } from "vitest";
import { decodePack, encodePack, isPackSubject, PackError, packSize, packSubject } from "../src/index.ts";

const bytes = (s: string) => Buffer.from(s);

describe("envelope packs", () => {
  it("round-trips entries with their resend flag, byte for byte", () => {
    const entries = [
      { payload: bytes('{"a":1}'), resend: false },
      { payload: bytes('{"b":"日本"}'), resend: true },
      { payload: new Uint8Array(0), resend: false },
    ];
    const pack = encodePack(entries);
    expect(pack.length).toBe(packSize(7 + Buffer.byteLength('{"b":"日本"}'), 3));
    const back = decodePack(pack);
    expect(back.map((e) => [Buffer.from(e.payload).toString(), e.resend])).toEqual([
      ['{"a":1}', false],
      ['{"b":"日本"}', true],
      ["", false],
    ]);
  });

  it("decodes a pack that is a view into a larger buffer", () => {
    const pack = encodePack([{ payload: bytes("xyz"), resend: true }]);
    const host = Buffer.concat([Buffer.from("garbage"), pack, Buffer.from("tail")]);
    const view = host.subarray(7, 7 + pack.length);
    expect(decodePack(view).map((e) => Buffer.from(e.payload).toString())).toEqual(["xyz"]);
  });

  it("refuses broken framing with the entry and byte offset", () => {
    const good = encodePack([
      { payload: bytes("one"), resend: false },
      { payload: bytes("two"), resend: false },
    ]);
    const error = (data: Uint8Array) => {
      try {
        decodePack(data);
      } catch (e) {
        expect(e).toBeInstanceOf(PackError);
        return `${(e as PackError).code}: ${(e as PackError).message}`;
      }
      return "decoded";
    };
    expect(error(bytes('{"v":1}'))).toBe("CONTRACT_PACK_MALFORMED: not a pack: it does not start with LLP1");
    expect(error(good.subarray(0, 4))).toBe("CONTRACT_PACK_MALFORMED: empty pack");
    expect(error(good.subarray(0, good.length - 1))).toBe(
      "CONTRACT_PACK_MALFORMED: entry 1 at byte 12: 3 bytes declared, 2 left",
    );
    expect(error(good.subarray(0, 14))).toBe("CONTRACT_PACK_MALFORMED: entry 1 at byte 12: truncated header");
    const flagged = Buffer.from(good);
    flagged[12] = 0x80;
    expect(error(flagged)).toBe("CONTRACT_PACK_MALFORMED: entry 1 at byte 12: unknown flags 0x80");
  });

  it("names pack subjects apart from envelope subjects", () => {
    expect(packSubject("mine-3")).toBe("tlm._pack.mine-3");
    expect(isPackSubject("tlm._pack.mine-3")).toBe(true);
    expect(isPackSubject("tlm.mine-3.gw-1.dev-1")).toBe(false);
    expect(isPackSubject("tlm._pack.gw-1.dev-1")).toBe(false); // site "_pack"
  });
});
