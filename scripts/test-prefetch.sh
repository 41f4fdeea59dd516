#!/bin/sh
# Started by `make check` before the two builds, in the background: fetches
# what the slowest tests would otherwise download while the compilers run -
# the clean Debian root of package_install.sh (scripts/test-root.sh) and the
# ARM sysroots of arm_qemu.sh (scripts/cross-sysroot.sh). Both scripts take
# a lock, so a test that starts before this ends waits for it and finds the
# work done; if anything fails here the test makes it again and says why.
# Output goes to build/prefetch.log; this never fails make check.
# Usage: scripts/test-prefetch.sh   (from the top of the checkout)
mkdir -p build
{
	echo "prefetch: started $(date -u +%H:%M:%S)"
	# Both wait on the network more than on the CPU: side by side.
	scripts/test-root.sh || echo "prefetch: the clean root was not made (package_install.sh will try)" &
	for a in arm64 armhf; do
		scripts/cross-sysroot.sh "$a" "build/sysroot-$a" ||
			echo "prefetch: the $a sysroot was not made (arm_qemu.sh will try)"
	done
	wait
	echo "prefetch: ended $(date -u +%H:%M:%S)"
} >build/prefetch.log 2>&1 </dev/null &
