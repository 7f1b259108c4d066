#!/usr/bin/env python3
"""Build a newc (SVR4, "070701") cpio initramfs without root or mknod.

The archive holds /init, /bin/<programs>, and /dev/console (char device 5,1,
described by the cpio header alone), so the same image boots Linux and Scythe.
It is written uncompressed unless --gzip is given (Scythe's loader reads plain
newc; Linux reads both).

  mkinitramfs.py -o out.cpio --init build/user/bin/init --bin build/user/bin/storm ...
  mkinitramfs.py -o out.cpio --init init --bin a b --file local/path:/etc/x --list

newc record: "070701", then 13 fields of 8 hex digits (ino, mode, uid, gid,
nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize
(with the NUL), check = 0), the name with its NUL padded to a multiple of 4
(counting the 110-byte header), the data padded to a multiple of 4. The
archive ends with an entry named "TRAILER!!!". Entries are stored with uid 0,
gid 0 and mtime 0, so the output is reproducible.
"""
import argparse
import gzip
import os
import stat
import sys

S_DIR = stat.S_IFDIR | 0o755
S_EXE = stat.S_IFREG | 0o755
S_FILE = stat.S_IFREG | 0o644
S_CHR = stat.S_IFCHR | 0o600


def pad4(n):
    return (4 - n % 4) % 4


class Archive:
    def __init__(self):
        self.out = bytearray()
        self.ino = 1
        self.names = set()

    def entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name = name.lstrip("/")
        if name in self.names:
            raise SystemExit(f"mkinitramfs: duplicate entry /{name}")
        self.names.add(name)
        bname = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(bname), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08x" % f for f in fields)
        self.out += hdr + bname + b"\0" * pad4(len(hdr) + len(bname))
        self.out += data + b"\0" * pad4(len(data))

    def dirs_for(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.names:
                self.entry(d, S_DIR, nlink=2)

    def file(self, dest, src, mode):
        with open(src, "rb") as f:
            data = f.read()
        self.dirs_for(dest)
        self.entry(dest, mode, data)

    def finish(self):
        self.entry("TRAILER!!!", 0)
        # Pad to 512 bytes as cpio(1) does; harmless for both loaders.
        self.out += b"\0" * ((512 - len(self.out) % 512) % 512)
        return bytes(self.out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--init", required=True, help="executable installed as /init")
    p.add_argument("--bin", nargs="+", action="extend", default=[], help="executables installed as /bin/<name>")
    p.add_argument("--file", action="append", default=[], metavar="SRC:DEST", help="any other file, mode 0644")
    p.add_argument("--gzip", action="store_true", help="gzip the archive")
    p.add_argument("--list", action="store_true", help="print the entries written")
    args = p.parse_args()

    for src in [args.init] + args.bin + [f.split(":", 1)[0] for f in args.file]:
        if not os.path.isfile(src):
            sys.exit(f"mkinitramfs: no such file: {src}")
    a = Archive()
    a.entry("dev", S_DIR, nlink=2)
    a.entry("dev/console", S_CHR, rdev=(5, 1))
    a.file("init", args.init, S_EXE)
    a.entry("bin", S_DIR, nlink=2)
    for b in args.bin:
        a.file("bin/" + os.path.basename(b), b, S_EXE)
    for f in args.file:
        src, _, dest = f.partition(":")
        if not dest:
            sys.exit(f"mkinitramfs: --file wants SRC:DEST, got {f}")
        a.file(dest, src, S_FILE)
    data = a.finish()
    if args.gzip:
        data = gzip.compress(data, mtime=0)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)
    if args.list:
        for n in sorted(a.names - {"TRAILER!!!"}):
            print("/" + n)


if __name__ == "__main__":
    main()
