#!/usr/bin/env python3
"""The Python host of tsheap's generated SWIG interface, end to end.

Run by CTest (python_host) with PYTHONPATH at the built module; plain unittest,
no pytest.  One thread state, created by the first test and ended by the last:
the tests run in name order.
"""
import sys
import unittest

import tsheap

DOMAINS = (tsheap.DOMAIN_RAW, tsheap.DOMAIN_OBJECT, tsheap.DOMAIN_GC)


def live_blocks(state, domain):
    return tsheap.state_stats(state, domain)["live_blocks"]


class TsheapHost(unittest.TestCase):
    state = None

    def test_0_create(self):
        self.assertEqual(tsheap.loaded_build(), tsheap.BUILD_FREE_THREADED)
        self.assertEqual(tsheap.version(), tsheap.VERSION)
        state = tsheap.state_create(0)
        self.assertIsNotNone(state)
        self.assertEqual(tsheap.state_owned(state), 1)
        self.assertEqual(int(tsheap.state_current()), int(state))   # same address
        TsheapHost.state = state

    def test_1_malloc_free_stats(self):
        st = self.state
        for domain in DOMAINS:
            before = tsheap.state_stats(st, domain)
            self.assertEqual(sorted(before), ["allocations", "live_blocks", "live_bytes", "threshold"])
            blocks = [tsheap.malloc(domain, 100 + 10 * i) for i in range(5)]
            blocks.append(tsheap.zalloc(domain, 8))
            blocks.append(tsheap.calloc(domain, 4, 16))
            blocks.append(tsheap.malloc_aligned(domain, 64, 256))
            self.assertEqual(int(blocks[-1]) % 256, 0)
            blocks[0] = tsheap.realloc(domain, blocks[0], 4096)
            self.assertGreaterEqual(tsheap.block_size(blocks[0]), 4096)
            self.assertEqual(live_blocks(st, domain), before["live_blocks"] + len(blocks))
            self.assertGreaterEqual(tsheap.state_stats(st, domain)["live_bytes"], before["live_bytes"] + 4096)
            for block in blocks:
                tsheap.free(block)
            self.assertEqual(live_blocks(st, domain), before["live_blocks"])

    def test_2_state_malloc_visit(self):
        st = self.state
        before = live_blocks(st, tsheap.DOMAIN_GC)
        block = tsheap.state_malloc(st, tsheap.DOMAIN_GC, 48)
        array = tsheap.state_calloc(st, tsheap.DOMAIN_GC, 3, 8)
        self.assertEqual(live_blocks(st, tsheap.DOMAIN_GC), before + 2)
        seen = []
        tsheap.state_visit(st, tsheap.DOMAIN_GC, lambda b, size: seen.append((int(b), size)))
        self.assertIn(int(block), [address for address, _ in seen])
        self.assertEqual(len(seen), before + 2)

        def boom(b, size):
            raise KeyError("from the visitor")
        with self.assertRaises(KeyError):
            tsheap.state_visit(st, tsheap.DOMAIN_GC, boom)
        tsheap.free(block)
        tsheap.free(array)
        self.assertEqual(live_blocks(st, tsheap.DOMAIN_GC), before)
        tsheap.free(block)   # the first free left NULL in the object: a no-op

    def test_3_bad_calls(self):
        st = self.state
        cases = [
            (lambda: tsheap.malloc(99, 16), "malloc: unknown domain"),
            (lambda: tsheap.state_stats(st, 99), "state_stats: unknown domain"),
            (lambda: tsheap.mallocn(tsheap.DOMAIN_RAW, 2**63, 4), "mallocn: size computation overflows"),
            (lambda: tsheap.state_end_domain(st, tsheap.DOMAIN_RAW, tsheap.END_MODE_DISCARD),
             "state_end_domain: the domain was not created discardable"),
        ]
        for call, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(tsheap.Error) as caught:
                    call()
                self.assertIsInstance(caught.exception, RuntimeError)
                self.assertTrue(str(caught.exception).startswith(message), str(caught.exception))
        self.assertEqual(tsheap.last_error(), tsheap.E_OVERFLOW)
        self.assertEqual(tsheap.strerror(tsheap.E_DOMAIN), "unknown domain")
        with self.assertRaises(OverflowError):
            tsheap.malloc(tsheap.DOMAIN_RAW, -1)
        with self.assertRaises(OverflowError):
            tsheap.malloc(tsheap.DOMAIN_RAW, 2**64)
        with self.assertRaises(TypeError):
            tsheap.malloc(tsheap.DOMAIN_RAW, 1.5)
        with self.assertRaises(TypeError):
            tsheap.malloc(tsheap.DOMAIN_RAW, "16")
        with self.assertRaises(TypeError):
            tsheap.state_visit(st, tsheap.DOMAIN_RAW, None)
        with self.assertRaises(TypeError):
            tsheap.state_stats(42, tsheap.DOMAIN_RAW)
        self.assertEqual(live_blocks(st, tsheap.DOMAIN_RAW), 0)   # still open

    def test_4_end(self):
        st = self.state
        tsheap.state_end(st)
        self.assertIsNone(tsheap.state_current())
        with self.assertRaisesRegex(tsheap.Error, "^state_end: invalid argument"):
            tsheap.state_end(st)   # the object holds NULL now, not the freed state
        with self.assertRaisesRegex(tsheap.Error, "^malloc: "):
            tsheap.malloc(tsheap.DOMAIN_RAW, 16)   # no current state


def main():
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(TsheapHost))
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
