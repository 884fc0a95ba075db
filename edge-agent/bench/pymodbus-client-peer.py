#!/usr/bin/python3
"""The peer in the Modbus benchmark: pymodbus's own asyncio client polling the same servers.

usage: pymodbus-client-peer.py SECONDS PORT [PORT ...]  -> prints JSON {"requests": N, "cpu_s": S, "rss_kb": K}
"""
import asyncio
import json
import logging
import resource
import sys
import time

from pymodbus.client import AsyncModbusTcpClient

logging.disable(logging.CRITICAL)


async def poll(port, deadline, counter):
    client = AsyncModbusTcpClient("127.0.0.1", port=port)
    await client.connect()
    while time.monotonic() < deadline:
        rr = await client.read_holding_registers(0, 124, slave=1)
        if not rr.isError():
            counter[0] += 1
    await client.close()


async def main():
    seconds = float(sys.argv[1])
    ports = [int(p) for p in sys.argv[2:]]
    counter = [0]
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(poll(p, deadline, counter) for p in ports))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"requests": counter[0], "cpu_s": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss}))


asyncio.run(main())
