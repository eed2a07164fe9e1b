
-- ---------------------------------------------------------------------------
-- Types: wes_hash (32 bytes), wes_address (20 bytes), wes_outpoint (36 bytes:
-- txid || u32 output index big-endian, so byte order is txid, then index).
-- The three are fixed-length byte strings ordered by their bytes and share
-- every rule, so their functions, operators and operator classes are made by
-- one template, run once per type.
-- ---------------------------------------------------------------------------

-- Planner support (src/planner_support.c) of ^@ on wes_hash and wes_address, of = on
-- wes_hash and of = on wes_outpoint
CREATE FUNCTION wes_planner_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_planner_support(internal) IS
	'planner support: lets a B-tree serve a hex prefix search (^@) as a range, wes_outpoint_txid(op) = h as a range of op, and wes_api.inputs WHERE outpoint = x';

DO $types$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT * FROM (VALUES
		('wes_hash', 32, 'a 32-byte hash (block hash, transaction id, content hash)',
		 '64 hex digits'),
		('wes_address', 20, 'a 20-byte address',
		 '40 hex digits'),
		('wes_outpoint', 36, 'an output reference: transaction id and u32 output index (sorts by txid bytes, then index)',
		 '<64 hex digits>:<index>'))
		AS v(name, len, what, form)
	LOOP
		-- %1$s type, %2$s length, %3$s what it is, %4$s text form (no quotes in them)
		EXECUTE format($tmpl$
CREATE TYPE %1$s;
CREATE FUNCTION %1$s_in(cstring) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_out(%1$s) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_recv(internal) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_send(%1$s) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE %1$s (
	INPUT = %1$s_in, OUTPUT = %1$s_out, RECEIVE = %1$s_recv, SEND = %1$s_send,
	INTERNALLENGTH = %2$s, ALIGNMENT = char, STORAGE = plain
);
COMMENT ON TYPE %1$s IS '%3$s, written %4$s';
COMMENT ON FUNCTION %1$s_in(cstring) IS 'text input of %1$s: %4$s, upper case and a 0x or \x prefix accepted';
COMMENT ON FUNCTION %1$s_out(%1$s) IS 'text output of %1$s: %4$s, lower case';
COMMENT ON FUNCTION %1$s_recv(internal) IS 'binary input of %1$s: exactly %2$s bytes';
COMMENT ON FUNCTION %1$s_send(%1$s) IS 'binary output of %1$s: its %2$s bytes';

CREATE FUNCTION %1$s_to_bytea(%1$s) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_from_bytea(bytea) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (%1$s AS bytea) WITH FUNCTION %1$s_to_bytea(%1$s) AS ASSIGNMENT;
CREATE CAST (bytea AS %1$s) WITH FUNCTION %1$s_from_bytea(bytea) AS ASSIGNMENT;
COMMENT ON FUNCTION %1$s_to_bytea(%1$s) IS 'the %2$s bytes of a %1$s';
COMMENT ON FUNCTION %1$s_from_bytea(bytea) IS 'a %1$s from exactly %2$s bytes (another length is an error)';
COMMENT ON CAST (%1$s AS bytea) IS 'the %2$s bytes of a %1$s';
COMMENT ON CAST (bytea AS %1$s) IS 'a %1$s from exactly %2$s bytes (another length is an error)';

CREATE FUNCTION %1$s_lt(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_le(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_eq(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_ne(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_ge(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_gt(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_cmp(%1$s, %1$s) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_hash(%1$s) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_hash_extended(%1$s, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION %1$s_lt(%1$s, %1$s) IS 'implementation of < for %1$s';
COMMENT ON FUNCTION %1$s_le(%1$s, %1$s) IS 'implementation of <= for %1$s';
COMMENT ON FUNCTION %1$s_eq(%1$s, %1$s) IS 'implementation of = for %1$s';
COMMENT ON FUNCTION %1$s_ne(%1$s, %1$s) IS 'implementation of <> for %1$s';
COMMENT ON FUNCTION %1$s_ge(%1$s, %1$s) IS 'implementation of >= for %1$s';
COMMENT ON FUNCTION %1$s_gt(%1$s, %1$s) IS 'implementation of > for %1$s';
COMMENT ON FUNCTION %1$s_cmp(%1$s, %1$s) IS 'B-tree comparison of %1$s (byte order): -1, 0 or 1';
COMMENT ON FUNCTION %1$s_sortsupport(internal) IS 'B-tree sort support of %1$s (abbreviated keys: the first 8 bytes)';
COMMENT ON FUNCTION %1$s_hash(%1$s) IS 'hash of a %1$s for hash indexes, hash joins and hash aggregation';
COMMENT ON FUNCTION %1$s_hash_extended(%1$s, bigint) IS 'seeded 64-bit hash of a %1$s (hash partitioning)';

CREATE OPERATOR < (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR = (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR > (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR < (%1$s, %1$s) IS 'less than (byte order)';
COMMENT ON OPERATOR <= (%1$s, %1$s) IS 'less than or equal (byte order)';
COMMENT ON OPERATOR = (%1$s, %1$s) IS 'equal';
COMMENT ON OPERATOR <> (%1$s, %1$s) IS 'not equal';
COMMENT ON OPERATOR >= (%1$s, %1$s) IS 'greater than or equal (byte order)';
COMMENT ON OPERATOR > (%1$s, %1$s) IS 'greater than (byte order)';

CREATE OPERATOR CLASS %1$s_ops DEFAULT FOR TYPE %1$s USING btree AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
	FUNCTION 1 %1$s_cmp(%1$s, %1$s),
	FUNCTION 2 %1$s_sortsupport(internal),
	FUNCTION 4 btequalimage(oid);
CREATE OPERATOR CLASS %1$s_ops DEFAULT FOR TYPE %1$s USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 %1$s_hash(%1$s),
	FUNCTION 2 %1$s_hash_extended(%1$s, bigint);
COMMENT ON OPERATOR FAMILY %1$s_ops USING btree IS 'B-tree operators of %1$s';
COMMENT ON OPERATOR CLASS %1$s_ops USING btree IS 'B-tree operator class of %1$s (byte order; deduplication allowed)';
COMMENT ON OPERATOR FAMILY %1$s_ops USING hash IS 'hash operators of %1$s';
COMMENT ON OPERATOR CLASS %1$s_ops USING hash IS 'hash operator class of %1$s';

CREATE FUNCTION %1$s_gist_consistent(internal, %1$s, smallint, oid, internal) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_union(internal, internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_compress(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_fetch(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_penalty(internal, internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_picksplit(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_same(bytea, bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_gist_consistent(internal, %1$s, smallint, oid, internal) IS 'GiST support of %1$s: can a subtree hold a match';
COMMENT ON FUNCTION %1$s_gist_union(internal, internal) IS 'GiST support of %1$s: the {lower, upper} key covering some keys';
COMMENT ON FUNCTION %1$s_gist_compress(internal) IS 'GiST support of %1$s: a value as a key';
COMMENT ON FUNCTION %1$s_gist_fetch(internal) IS 'GiST support of %1$s: the value of a leaf key (index-only scans)';
COMMENT ON FUNCTION %1$s_gist_penalty(internal, internal, internal) IS 'GiST support of %1$s: how much a key grows to take another';
COMMENT ON FUNCTION %1$s_gist_picksplit(internal, internal) IS 'GiST support of %1$s: split a page at the median';
COMMENT ON FUNCTION %1$s_gist_same(bytea, bytea, internal) IS 'GiST support of %1$s: are two keys equal';
COMMENT ON FUNCTION %1$s_gist_sortsupport(internal) IS 'GiST support of %1$s: sort values so that CREATE INDEX packs the leaves in order';
CREATE OPERATOR CLASS %1$s_ops DEFAULT FOR TYPE %1$s USING gist AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, OPERATOR 6 <>,
	FUNCTION 1 %1$s_gist_consistent(internal, %1$s, smallint, oid, internal),
	FUNCTION 2 %1$s_gist_union(internal, internal),
	FUNCTION 3 %1$s_gist_compress(internal),
	FUNCTION 5 %1$s_gist_penalty(internal, internal, internal),
	FUNCTION 6 %1$s_gist_picksplit(internal, internal),
	FUNCTION 7 %1$s_gist_same(bytea, bytea, internal),
	FUNCTION 9 %1$s_gist_fetch(internal),
	FUNCTION 11 %1$s_gist_sortsupport(internal),
	STORAGE bytea;
COMMENT ON OPERATOR FAMILY %1$s_ops USING gist IS 'GiST operators of %1$s';
COMMENT ON OPERATOR CLASS %1$s_ops USING gist IS 'GiST operator class of %1$s: equality and order, in multicolumn indexes beside ranges and in exclusion constraints';
$tmpl$, t.name, t.len, t.what, t.form);
	END LOOP;

	-- Hex prefix search on the types that are plain hex: %1$s type, %2$s hex digits
	FOR t IN SELECT * FROM (VALUES ('wes_hash', 64), ('wes_address', 40)) AS v(name, digits)
	LOOP
		EXECUTE format($tmpl$
CREATE FUNCTION %1$s_starts_with(%1$s, text) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT wes_planner_support;
CREATE OPERATOR ^@ (
	LEFTARG = %1$s, RIGHTARG = text, FUNCTION = %1$s_starts_with,
	RESTRICT = matchingsel, JOIN = matchingjoinsel
);
CREATE FUNCTION %1$s_prefix_lower(text) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_prefix_upper(text) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_starts_with(%1$s, text) IS
	'does the %1$s start with these hex digits (up to %2$s, any case, optional 0x or \x)? served by B-tree and GiST indexes';
COMMENT ON OPERATOR ^@ (%1$s, text) IS
	'starts with these hex digits (up to %2$s, any case, optional 0x or \x); served by B-tree and GiST indexes';
ALTER OPERATOR FAMILY %1$s_ops USING gist ADD OPERATOR 28 ^@ (%1$s, text);
COMMENT ON FUNCTION %1$s_prefix_lower(text) IS
	'the smallest %1$s that starts with these hex digits: h ^@ p is h BETWEEN %1$s_prefix_lower(p) AND %1$s_prefix_upper(p)';
COMMENT ON FUNCTION %1$s_prefix_upper(text) IS
	'the largest %1$s that starts with these hex digits: h ^@ p is h BETWEEN %1$s_prefix_lower(p) AND %1$s_prefix_upper(p)';
$tmpl$, t.name, t.digits);
	END LOOP;
END
$types$;

-- The outpoint's parts
CREATE FUNCTION wes_outpoint(txid wes_hash, index integer) RETURNS wes_outpoint
	AS 'MODULE_PATHNAME', 'wes_outpoint_make_int4' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wes_outpoint(txid wes_hash, index bigint) RETURNS wes_outpoint
	AS 'MODULE_PATHNAME', 'wes_outpoint_make_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wes_outpoint_txid(op wes_outpoint) RETURNS wes_hash
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wes_outpoint_index(op wes_outpoint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_outpoint(wes_hash, integer) IS 'the outpoint of output index of transaction txid (index 0 and up)';
COMMENT ON FUNCTION wes_outpoint(wes_hash, bigint) IS 'the outpoint of output index of transaction txid (index 0 to 4294967295)';
COMMENT ON FUNCTION wes_outpoint_txid(wes_outpoint) IS 'the transaction id of an outpoint';
COMMENT ON FUNCTION wes_outpoint_index(wes_outpoint) IS 'the output index of an outpoint (a u32, hence bigint)';

-- wes_outpoint_txid(op) = h, with h constant in the query, is simplified to a range of
-- outpoints, so that the outputs of a transaction (wes_api.outputs WHERE txid = h) are
-- one range of outputs_pkey rather than a scan of every output
ALTER FUNCTION wes_hash_eq(wes_hash, wes_hash) SUPPORT wes_planner_support;
