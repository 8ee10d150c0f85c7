"""Byte-exact replies of the text protocol, command by command and error path by error path.

Every expected reply here was recorded from memcached 1.6.18 (run this file with
MEMFLEETD=/usr/bin/memcached to re-check). Table cases share one server per module; each case uses
its own keys, so cases do not depend on each other.
"""

import pytest

from wire import VERSION_REPLY, WireConn, parse_values

# (id, request, expected reply). "{k}" in both is replaced by a key unique to the case.
CASES = [
    # --- storage commands ---
    ("set_get", b"set {k} 0 0 5\r\nhello\r\nget {k}\r\n",
     b"STORED\r\nVALUE {k} 0 5\r\nhello\r\nEND\r\n"),
    ("get_miss", b"get {k}\r\n", b"END\r\n"),
    ("set_empty_value", b"set {k} 0 0 0\r\n\r\nget {k}\r\n",
     b"STORED\r\nVALUE {k} 0 0\r\n\r\nEND\r\n"),
    ("set_overwrites", b"set {k} 1 0 1\r\na\r\nset {k} 2 0 2\r\nbb\r\nget {k}\r\n",
     b"STORED\r\nSTORED\r\nVALUE {k} 2 2\r\nbb\r\nEND\r\n"),
    ("flags_32bit_max", b"set {k} 4294967295 0 1\r\nx\r\nget {k}\r\n",
     b"STORED\r\nVALUE {k} 4294967295 1\r\nx\r\nEND\r\n"),
    ("flags_negative", b"set {k} -1 0 1\r\nx\r\nget {k}\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\nEND\r\n"),
    ("flags_not_a_number", b"set {k} x 0 1\r\nx\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
    ("exptime_not_a_number", b"set {k} 0 x 1\r\nx\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
    ("length_not_a_number", b"set {k} 0 0 x\r\nab\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
    ("length_trailing_garbage", b"set {k} 0 0 1x\r\nx\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
    ("length_negative", b"set {k} 0 0 -1\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    ("length_leading_zero_and_plus", b"set {k} 0 0 01\r\nx\r\nset {k} 0 0 +1\r\ny\r\nget {k}\r\n",
     b"STORED\r\nSTORED\r\nVALUE {k} 0 1\r\ny\r\nEND\r\n"),
    ("set_too_few_tokens", b"set {k}\r\n", b"ERROR\r\n"),
    ("set_too_many_tokens", b"set {k} 0 0 1 2 3 4 5 6 7\r\nx\r\n", b"ERROR\r\nERROR\r\n"),
    ("set_no_key", b"set\r\n", b"ERROR\r\n"),
    ("set_unknown_noreply_token_still_replies", b"set {k} 0 0 1 garbage\r\nx\r\n",
     b"STORED\r\n"),
    ("extra_spaces_between_tokens", b"set  {k}  0  0  1 \r\nx\r\nget {k}\r\n",
     b"STORED\r\nVALUE {k} 0 1\r\nx\r\nEND\r\n"),
    ("bare_lf_line_endings", b"set {k} 0 0 1\nx\r\nget {k}\n",
     b"STORED\r\nVALUE {k} 0 1\r\nx\r\nEND\r\n"),
    ("add_new_then_existing", b"add {k} 0 0 1\r\na\r\nadd {k} 0 0 1\r\nb\r\nget {k}\r\n",
     b"STORED\r\nNOT_STORED\r\nVALUE {k} 0 1\r\na\r\nEND\r\n"),
    ("replace_missing_then_existing",
     b"replace {k} 0 0 1\r\na\r\nset {k} 0 0 1\r\nb\r\nreplace {k} 3 0 1\r\nc\r\nget {k}\r\n",
     b"NOT_STORED\r\nSTORED\r\nSTORED\r\nVALUE {k} 3 1\r\nc\r\nEND\r\n"),
    ("append_prepend_missing", b"append {k} 0 0 1\r\nx\r\nprepend {k} 0 0 1\r\nx\r\nget {k}\r\n",
     b"NOT_STORED\r\nNOT_STORED\r\nEND\r\n"),
    ("append_prepend_keep_flags",
     b"set {k} 5 0 1\r\nb\r\nappend {k} 9 0 1\r\nc\r\nprepend {k} 7 0 1\r\na\r\nget {k}\r\n",
     b"STORED\r\nSTORED\r\nSTORED\r\nVALUE {k} 5 3\r\nabc\r\nEND\r\n"),
    ("binary_value_with_crlf_inside", b"set {k} 0 0 8\r\n\r\n\x00\xff\r\nEN\r\nget {k}\r\n",
     b"STORED\r\nVALUE {k} 0 8\r\n\r\n\x00\xff\r\nEN\r\nEND\r\n"),
    # --- bad data chunk: exactly length+2 bytes are consumed; the old value stays ---
    ("bad_chunk_too_long", b"set {k} 0 0 1\r\nx\r\nset {k} 0 0 1\r\nab\r\nget {k}\r\n",
     b"STORED\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nVALUE {k} 0 1\r\nx\r\nEND\r\n"),
    ("bad_chunk_much_too_long", b"set {k} 0 0 1\r\nabcdef\r\nget {k}\r\n",
     b"CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n"),
    ("bad_chunk_too_short", b"set {k} 0 0 3\r\nab\r\n\r\nget {k}\r\n",
     b"CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n"),
    ("bad_chunk_lf_only", b"set {k} 0 0 1\r\nx\nget {k}\r\n",
     b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"),
    ("bad_chunk_consumes_exactly_len_plus_2", b"set {k} 0 0 3\r\nabc\rxget {k}\r\n",
     b"CLIENT_ERROR bad data chunk\r\nEND\r\n"),
    ("bad_chunk_noreply_silent", b"set {k} 0 0 1 noreply\r\nxx\r\n", b"ERROR\r\n"),
    # --- retrieval ---
    ("get_no_key", b"get\r\n", b"ERROR\r\n"),
    ("gets_no_key", b"gets\r\n", b"ERROR\r\n"),
    ("get_multi_in_order_with_repeats_and_misses",
     b"set {k}a 1 0 1\r\na\r\nset {k}b 2 0 2\r\nbb\r\nget {k}b {k}x {k}a {k}b\r\n",
     b"STORED\r\nSTORED\r\nVALUE {k}b 2 2\r\nbb\r\nVALUE {k}a 1 1\r\na\r\n"
     b"VALUE {k}b 2 2\r\nbb\r\nEND\r\n"),
    ("get_many_missing_keys", b"get " + b" ".join(b"{k}%d" % i for i in range(100)) + b"\r\n",
     b"END\r\n"),
    ("key_250_ok", b"set " + b"a" * 250 + b" 0 0 1\r\nx\r\nget " + b"a" * 250 + b"\r\n",
     b"STORED\r\nVALUE " + b"a" * 250 + b" 0 1\r\nx\r\nEND\r\n"),
    ("key_251_get_rejected", b"get " + b"b" * 251 + b"\r\n",
     b"CLIENT_ERROR bad command line format\r\n"),
    ("key_251_set_rejected", b"set " + b"b" * 251 + b" 0 0 1\r\nx\r\nget " + b"b" * 250 + b"\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\nEND\r\n"),
    ("key_3000_get_rejected", b"get " + b"k" * 3000 + b"\r\n",
     b"CLIENT_ERROR bad command line format\r\n"),
    # --- delete ---
    ("delete_hit_then_miss", b"set {k} 0 0 1\r\nx\r\ndelete {k}\r\ndelete {k}\r\nget {k}\r\n",
     b"STORED\r\nDELETED\r\nNOT_FOUND\r\nEND\r\n"),
    ("delete_legacy_zero_time", b"set {k} 0 0 1\r\nx\r\ndelete {k} 0\r\n",
     b"STORED\r\nDELETED\r\n"),
    ("delete_nonzero_time_rejected", b"delete {k} 5\r\n",
     b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"),
    ("delete_no_key", b"delete\r\n", b"ERROR\r\n"),
    # --- incr / decr ---
    ("incr_decr", b"set {k} 0 0 2\r\n10\r\nincr {k} 5\r\ndecr {k} 3\r\nget {k}\r\n",
     b"STORED\r\n15\r\n12\r\nVALUE {k} 0 2\r\n12\r\nEND\r\n"),
    ("incr_grows_length", b"set {k} 0 0 2\r\n99\r\nincr {k} 1\r\nget {k}\r\n",
     b"STORED\r\n100\r\nVALUE {k} 0 3\r\n100\r\nEND\r\n"),
    ("decr_pads_in_place", b"set {k} 0 0 3\r\n100\r\ndecr {k} 1\r\nget {k}\r\n",
     b"STORED\r\n99\r\nVALUE {k} 0 3\r\n99 \r\nEND\r\n"),
    ("decr_floor_zero_keeps_flags", b"set {k} 5 0 2\r\n10\r\ndecr {k} 100\r\nget {k}\r\n",
     b"STORED\r\n0\r\nVALUE {k} 5 2\r\n0 \r\nEND\r\n"),
    ("incr_wraps_at_64_bits",
     b"set {k} 0 0 20\r\n18446744073709551615\r\nincr {k} 2\r\nget {k}\r\n",
     b"STORED\r\n1\r\nVALUE {k} 0 20\r\n1                   \r\nEND\r\n"),
    ("incr_max_delta", b"set {k} 0 0 1\r\n5\r\nincr {k} 18446744073709551615\r\n",
     b"STORED\r\n4\r\n"),
    ("incr_leading_zeros", b"set {k} 0 0 20\r\n00000000000000000001\r\nincr {k} 1\r\nget {k}\r\n",
     b"STORED\r\n2\r\nVALUE {k} 0 20\r\n2                   \r\nEND\r\n"),
    ("incr_leading_space", b"set {k} 0 0 2\r\n 5\r\nincr {k} 1\r\n", b"STORED\r\n6\r\n"),
    ("incr_missing", b"incr {k} 1\r\ndecr {k} 1\r\n", b"NOT_FOUND\r\nNOT_FOUND\r\n"),
    ("incr_non_numeric", b"set {k} 0 0 3\r\n12a\r\nincr {k} 1\r\n",
     b"STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n"),
    ("incr_empty_value", b"set {k} 0 0 0\r\n\r\nincr {k} 1\r\n",
     b"STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n"),
    ("incr_value_too_long", b"set {k} 0 0 21\r\n123456789012345678901\r\nincr {k} 1\r\n",
     b"STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n"),
    ("incr_delta_not_a_number", b"set {k} 0 0 1\r\n5\r\nincr {k} x\r\n",
     b"STORED\r\nCLIENT_ERROR invalid numeric delta argument\r\n"),
    ("incr_delta_negative", b"set {k} 0 0 1\r\n5\r\nincr {k} -1\r\ndecr {k} -1\r\n",
     b"STORED\r\nCLIENT_ERROR invalid numeric delta argument\r\n"
     b"CLIENT_ERROR invalid numeric delta argument\r\n"),
    ("incr_delta_overflow", b"set {k} 0 0 1\r\n5\r\nincr {k} 18446744073709551616\r\n",
     b"STORED\r\nCLIENT_ERROR invalid numeric delta argument\r\n"),
    ("incr_no_delta", b"incr {k}\r\nincr\r\ndecr\r\n", b"ERROR\r\nERROR\r\nERROR\r\n"),
    # --- cas ---
    ("cas_missing", b"cas {k} 0 0 1 1\r\nx\r\n", b"NOT_FOUND\r\n"),
    ("cas_wrong_unique", b"set {k} 0 0 1\r\na\r\ncas {k} 0 0 1 0\r\nx\r\nget {k}\r\n",
     b"STORED\r\nEXISTS\r\nVALUE {k} 0 1\r\na\r\nEND\r\n"),
    ("cas_unique_not_a_number", b"cas {k} 0 0 1 x\r\nx\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
    ("cas_unique_negative", b"cas {k} 0 0 1 -1\r\nx\r\n",
     b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
    ("cas_missing_unique", b"cas {k} 0 0 1\r\nx\r\n", b"ERROR\r\nERROR\r\n"),
    ("cas_no_args", b"cas\r\n", b"ERROR\r\n"),
    # --- touch / gat / gats ---
    ("touch_hit_and_miss", b"set {k} 0 0 1\r\nx\r\ntouch {k} 100\r\ntouch {k}x 100\r\n",
     b"STORED\r\nTOUCHED\r\nNOT_FOUND\r\n"),
    ("touch_bad_exptime", b"touch {k} x\r\n", b"CLIENT_ERROR invalid exptime argument\r\n"),
    ("touch_missing_exptime", b"touch {k}\r\ntouch\r\n", b"ERROR\r\nERROR\r\n"),
    ("gat_hit_and_miss", b"set {k} 3 0 2\r\nhi\r\ngat 100 {k} {k}x\r\n",
     b"STORED\r\nVALUE {k} 3 2\r\nhi\r\nEND\r\n"),
    ("gat_miss", b"gat 100 {k}\r\ngats 100 {k}\r\n", b"END\r\nEND\r\n"),
    ("gat_no_args", b"gat\r\ngats\r\n", b"ERROR\r\nERROR\r\n"),
    ("gat_bad_exptime", b"gat x {k}\r\n", b"CLIENT_ERROR invalid exptime argument\r\n"),
    # --- noreply: no bytes at all, effects visible ---
    ("noreply_storage",
     b"set {k} 1 0 1 noreply\r\nb\r\nadd {k} 0 0 1 noreply\r\nz\r\n"
     b"append {k} 0 0 1 noreply\r\nc\r\n"
     b"prepend {k} 0 0 1 noreply\r\na\r\nreplace {k}x 0 0 1 noreply\r\nz\r\nget {k} {k}x\r\n",
     b"VALUE {k} 1 3\r\nabc\r\nEND\r\n"),
    ("noreply_counters",
     b"set {k} 0 0 2 noreply\r\n10\r\nincr {k} 5 noreply\r\ndecr {k} 2 noreply\r\n"
     b"incr {k}x 1 noreply\r\nget {k}\r\n",
     b"VALUE {k} 0 2\r\n13\r\nEND\r\n"),
    ("noreply_delete_touch",
     b"set {k} 0 0 1 noreply\r\nx\r\ntouch {k} 100 noreply\r\ndelete {k} noreply\r\n"
     b"delete {k} noreply\r\nget {k}\r\n",
     b"END\r\n"),
    ("noreply_cas", b"set {k} 0 0 1 noreply\r\nx\r\ncas {k} 0 0 1 0 noreply\r\ny\r\nget {k}\r\n",
     b"VALUE {k} 0 1\r\nx\r\nEND\r\n"),
    ("noreply_incr_errors_silent",
     b"set {k} 0 0 1 noreply\r\na\r\nincr {k} 1 noreply\r\nincr {k} x noreply\r\n", b""),
    ("noreply_verbosity", b"verbosity 1 noreply\r\nverbosity 0 noreply\r\n", b""),
    # --- misc ---
    ("unknown_command", b"foo\r\n", b"ERROR\r\n"),
    ("unknown_command_with_args", b"foo bar baz\r\n", b"ERROR\r\n"),
    ("empty_line", b"\r\n", b"ERROR\r\n"),
    ("commands_are_case_sensitive", b"GET {k}\r\nSet {k} 0 0 1\r\n", b"ERROR\r\nERROR\r\n"),
    ("verbosity", b"verbosity 1\r\nverbosity 0\r\n", b"OK\r\nOK\r\n"),
    ("verbosity_no_arg", b"verbosity\r\n", b"ERROR\r\n"),
    ("verbosity_bad_arg", b"verbosity x\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    ("shutdown_not_enabled", b"shutdown\r\n", b"ERROR: shutdown not enabled\r\n"),
    ("stats_unknown_subcommand", b"stats foo\r\n", b"ERROR\r\n"),
]


def _expand(template: bytes, key: bytes) -> bytes:
    return template.replace(b"{k}", key)


@pytest.mark.parametrize("request_bytes,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_exact_reply(module_server, request, request_bytes, expected):
    key = b"t_" + request.node.callspec.id.encode()[:40]
    with WireConn(module_server) as c:
        assert c.request(_expand(request_bytes, key)) == _expand(expected, key)


def test_version_format(server):
    with WireConn(server) as c:
        reply = c.version()
        assert VERSION_REPLY.match(reply), reply
        c.send(b"version extra tokens\r\n")
        assert VERSION_REPLY.match(c.read_line())


def test_cas_round_trip(server):
    with WireConn(server) as c:
        assert c.request(b"set k 7 0 1\r\na\r\n") == b"STORED\r\n"
        (flags, data, unique), = parse_values(c.request(b"gets k\r\n")).values()
        assert (flags, data) == (7, b"a")
        # gats returns the same unique; touching does not change it.
        (_, _, unique2), = parse_values(c.request(b"gats 100 k\r\n")).values()
        assert unique2 == unique
        assert c.request(b"cas k 8 0 1 %d\r\nb\r\n" % unique) == b"STORED\r\n"
        # The old unique is now stale.
        assert c.request(b"cas k 9 0 1 %d\r\nc\r\n" % unique) == b"EXISTS\r\n"
        (flags, data, unique3), = parse_values(c.request(b"gets k\r\n")).values()
        assert (flags, data) == (8, b"b") and unique3 != unique
        # Every store changes the unique, including append and incr.
        c.request(b"append k 0 0 1\r\nx\r\n")
        (_, data, unique4), = parse_values(c.request(b"gets k\r\n")).values()
        assert data == b"bx" and unique4 not in (unique, unique3)
        assert c.request(b"delete k\r\n") == b"DELETED\r\n"
        assert c.request(b"cas k 0 0 1 %d\r\nd\r\n" % unique4) == b"NOT_FOUND\r\n"


def test_gets_distinct_uniques(server):
    with WireConn(server) as c:
        c.request(b"set a 0 0 1\r\na\r\nset b 0 0 1\r\nb\r\n")
        values = parse_values(c.request(b"gets a b a\r\n"))
        assert values[b"a"][2] != values[b"b"][2]


def test_too_large_value_is_swallowed_and_old_item_removed(server):
    with WireConn(server) as c:
        assert c.request(b"set big 0 0 5\r\nhello\r\nset keep 0 0 1\r\nk\r\n") == \
            b"STORED\r\nSTORED\r\n"
        big = b"x" * 2_000_000
        reply = c.request_pipelined(b"set big 0 0 %d\r\n%s\r\nget big keep\r\n" % (len(big), big))
        assert reply == b"SERVER_ERROR object too large for cache\r\nVALUE keep 0 1\r\nk\r\nEND\r\n"
        # The same with noreply: silent, and the item is still removed.
        c.request(b"set big 0 0 5\r\nhello\r\n")
        reply = c.request_pipelined(b"set big 0 0 %d noreply\r\n%s\r\nget big\r\n" %
                                    (len(big), big))
        assert reply == b"END\r\n"


def test_quit_closes_without_reply(server):
    with WireConn(server) as c:
        c.send(b"set k 0 0 1\r\nx\r\nquit\r\nget k\r\n")
        assert c.expect_closed() == b"STORED\r\n"
    with WireConn(server) as c:
        assert c.request(b"get k\r\n") == b"VALUE k 0 1\r\nx\r\nEND\r\n"


def test_flush_all_replies(server):
    with WireConn(server) as c:
        assert c.request(b"set a 0 0 1\r\na\r\nflush_all\r\nget a\r\n") == \
            b"STORED\r\nOK\r\nEND\r\n"
        assert c.request(b"set a 0 0 1\r\na\r\nflush_all 0\r\nget a\r\n") == \
            b"STORED\r\nOK\r\nEND\r\n"
        assert c.request(b"set a 0 0 1\r\na\r\nflush_all noreply\r\nget a\r\n") == \
            b"STORED\r\nEND\r\n"
        assert c.request(b"flush_all x\r\n") == b"CLIENT_ERROR invalid exptime argument\r\n"
        assert c.request(b"flush_all x noreply\r\n") == b""
        # Items stored after a flush are visible.
        assert c.request(b"set b 0 0 1\r\nb\r\nget b\r\n") == \
            b"STORED\r\nVALUE b 0 1\r\nb\r\nEND\r\n"


def test_stats_reset(server):
    with WireConn(server) as c:
        c.request(b"get a\r\nget b\r\n")
        assert int(c.stats()["cmd_get"]) == 2
        assert c.request(b"stats reset\r\n") == b"RESET\r\n"
        assert int(c.stats()["cmd_get"]) == 0


def test_cache_memlimit(server):
    with WireConn(server) as c:
        assert c.request(b"cache_memlimit 100\r\n") == b"OK\r\n"
        assert int(c.stats()["limit_maxbytes"]) == 100 * 1024 * 1024
        assert c.request(b"cache_memlimit 64 noreply\r\n") == b""
        assert int(c.stats()["limit_maxbytes"]) == 64 * 1024 * 1024
        assert c.request(b"cache_memlimit\r\n") == b"ERROR\r\n"
