import { common, MavLinkProtocolV1, MavLinkProtocolV2, minimal } from "node-mavlink";
import { describe, expect, it } from "vitest";
import { frameMavlinkDatagram } from "../src/mavlink/mavlink-framer.ts";

function heartbeat(): minimal.Heartbeat {
  const m = new minimal.Heartbeat();
  m.type = minimal.MavType.QUADROTOR;
  m.autopilot = minimal.MavAutopilot.ARDUPILOTMEGA;
  m.baseMode = minimal.MavModeFlag.SAFETY_ARMED;
  m.customMode = 4;
  m.systemStatus = minimal.MavState.ACTIVE;
  m.mavlinkVersion = 3;
  return m;
}

const v2 = (sysid: number, seq = 0) => new MavLinkProtocolV2(sysid, 1).serialize(heartbeat(), seq);

describe("frameMavlinkDatagram", () => {
  it("cuts v1 and v2 packets out of one datagram", () => {
    const v1 = new MavLinkProtocolV1(3, 1).serialize(heartbeat(), 9);
    const { frames, rejects } = frameMavlinkDatagram(Buffer.concat([v2(1, 5), v1, v2(2, 6)]));
    expect(frames.map((f) => [f.version, f.sysid, f.compid, f.seq, f.msgid, f.bytes.length])).toEqual([
      [2, 1, 1, 5, 0, 21],
      [1, 3, 1, 9, 0, 17],
      [2, 2, 1, 6, 0, 21],
    ]);
    expect(rejects).toEqual([]);
  });

  it("counts a run of garbage once, and finds the packet after it", () => {
    const { frames, rejects } = frameMavlinkDatagram(Buffer.concat([Buffer.from("not mavlink"), v2(1)]));
    expect(frames.map((f) => f.sysid)).toEqual([1]);
    expect(rejects).toEqual([{ reason: "garbage", bytes: 11 }]);
  });

  it("counts one flipped byte as one bad_crc over the whole damaged packet", () => {
    const bad = v2(1);
    bad[12] = (bad[12] ?? 0) ^ 0x01;
    expect(frameMavlinkDatagram(bad)).toEqual({ frames: [], rejects: [{ reason: "bad_crc", bytes: 21 }] });
    const { frames, rejects } = frameMavlinkDatagram(Buffer.concat([bad, v2(2)]));
    expect(frames.map((f) => f.sysid)).toEqual([2]);
    expect(rejects).toEqual([{ reason: "bad_crc", bytes: 21 }]);
  });

  it("rejects truncated packets, unknown message ids and unknown incompatibility flags", () => {
    expect(frameMavlinkDatagram(v2(1).subarray(0, 15)).rejects).toEqual([{ reason: "truncated", bytes: 15 }]);
    expect(frameMavlinkDatagram(Buffer.from([0xfd, 0x01])).rejects).toEqual([{ reason: "truncated", bytes: 2 }]);
    const unknown = v2(1);
    unknown.writeUIntLE(0xabcdef, 7, 3);
    const after = frameMavlinkDatagram(Buffer.concat([unknown, v2(4)]));
    expect(after.rejects).toEqual([{ reason: "unknown_message", bytes: 21 }]);
    expect(after.frames.map((f) => f.sysid)).toEqual([4]);
    const flagged = v2(1);
    flagged[2] = 0x02;
    expect(frameMavlinkDatagram(flagged).rejects).toEqual([{ reason: "unsupported_flags", bytes: 21 }]);
  });

  it("accepts a signed MAVLink 2 packet (the signature is carried, not checked)", () => {
    const protocol = new MavLinkProtocolV2(5, 1, MavLinkProtocolV2.IFLAG_SIGNED);
    const message = new common.SystemTime();
    message.timeUnixUsec = 0n;
    message.timeBootMs = 1234;
    const signed = protocol.sign(protocol.serialize(message, 0), 1, Buffer.alloc(32, 7), Date.UTC(2026, 0, 1));
    const { frames, rejects } = frameMavlinkDatagram(signed);
    expect(frames.map((f) => [f.sysid, f.msgid, f.bytes.length])).toEqual([[5, 2, signed.length]]);
    expect(rejects).toEqual([]);
  });
});
