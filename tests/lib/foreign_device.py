#!/usr/bin/python3
"""A Modbus device that is not ours: pymodbus (Debian's python3-pymodbus)
serving register words written by hand in a test, over TCP or RTU.

The collector is pointed at it to show that it decodes a device whose
encoder it has never seen, so a bug shared by our decoder and our simulator's
encoder cannot hide. Run with Debian's /usr/bin/python3 (pymodbus lives there).
Serial lines are 8N1: pyserial refuses to set parity on a pseudo-terminal
(EINVAL), so the RTU case cannot test parity.

usage: foreign_device.py (--tcp PORT | --serial PATH) --unit N --map FILE [--ready FILE]
FILE is JSON: {"holding": {"ADDR": [w0, w1, ...]} (numbers, or strings like "0xFB2E"), "input": {...},
               "coil": {"ADDR": [0, 1]}, "discrete": {...}}
"""
import argparse
import json
import logging
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer, StartTcpServer
from pymodbus.transaction import ModbusRtuFramer

SIZE = 1024  # registers (and bits) per table, from address 0


def block(table_map):
    values = [0] * SIZE
    for addr, words in table_map.items():
        a = int(addr)
        if a < 0 or a + len(words) > SIZE:
            sys.exit(f"foreign_device: address {a} (+{len(words)}) outside 0..{SIZE - 1}")
        for i, w in enumerate(words):
            values[a + i] = int(w, 0) if isinstance(w, str) else int(w)
    return ModbusSequentialDataBlock(0, values)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tcp", type=int)
    p.add_argument("--serial")
    p.add_argument("--unit", type=int, required=True)
    p.add_argument("--map", required=True)
    p.add_argument("--ready")
    a = p.parse_args()
    with open(a.map, encoding="utf-8") as f:
        m = json.load(f)
    # zero_mode: address N on the wire is element N of the block (pymodbus
    # otherwise shifts by one, its reading of the 1-based convention).
    slave = ModbusSlaveContext(
        hr=block(m.get("holding", {})),
        ir=block(m.get("input", {})),
        co=block(m.get("coil", {})),
        di=block(m.get("discrete", {})),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves={a.unit: slave}, single=False)
    logging.basicConfig(level=logging.WARNING)
    if a.ready:
        # Written before serving; the test still waits by connecting (TCP)
        # or by a first successful read (RTU).
        with open(a.ready, "w", encoding="utf-8") as f:
            f.write("ready\n")
    if a.tcp:
        StartTcpServer(context=context, address=("127.0.0.1", a.tcp))
    elif a.serial:
        StartSerialServer(context=context, framer=ModbusRtuFramer, port=a.serial,
                          baudrate=19200, bytesize=8, parity="N", stopbits=1, timeout=0.05)
    else:
        sys.exit("foreign_device: give --tcp PORT or --serial PATH")


if __name__ == "__main__":
    main()
