-- Mutants of a snapshot file fed to wes_snapshot_import, whole or in chunks
-- (snapshot_fuzz.sh).  Input: table snap (f bytea), a valid file; psql variables
-- n (mutants) and seed.  Output: table fuzz_results, one row a mutant.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT setseed(:seed);

-- le32, le64 and get32: little-endian integers in and out of bytes
\ir ../pgtap/lib/blocks.sql

-- f with its bytes from offset off (from 0) replaced by r
CREATE FUNCTION pg_temp.put(f bytea, off int, r bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT overlay(f PLACING r FROM off + 1 FOR length(r))
$$;
CREATE FUNCTION pg_temp.rnd(n int) RETURNS int LANGUAGE sql VOLATILE AS $$
	SELECT floor(random() * n)::int
$$;
CREATE FUNCTION pg_temp.pick(a anyarray) RETURNS anyelement LANGUAGE sql VOLATILE AS $$
	SELECT a[1 + floor(random() * cardinality(a))::int]
$$;

-- The records of a well-formed file: start offset and length (48 bytes + output); its
-- header's utxo_count (at 84) says how many
CREATE FUNCTION pg_temp.records(f bytea) RETURNS TABLE (i int, off int, len int) LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	p int := 92;
BEGIN
	i := 0;
	WHILE i < pg_temp.get32(f, 84) LOOP
		off := p;
		len := 48 + pg_temp.get32(f, p + 44)::int;
		RETURN NEXT;
		p := p + len;
		i := i + 1;
	END LOOP;
END $$;

CREATE TEMP TABLE recs AS SELECT * FROM pg_temp.records((SELECT f FROM snap));
-- Where the transaction ids begin (txid_count, 8 bytes, then 32 bytes each) and how many
CREATE TEMP TABLE ids AS
SELECT r.off + r.len AS off, pg_temp.get32(snap.f, r.off + r.len) AS n
FROM recs r, snap WHERE r.i = (SELECT max(i) FROM recs);

-- Mutant of the file f (its records in recs, its ids in ids) by kind k (0-12); the header is 92 bytes, a record
-- txid(32) index(4) created(8) length(4) output, then txid_count(8) and the ids (32 each), the checksum the last
-- 32 bytes
CREATE FUNCTION pg_temp.mutate(f bytea, k int) RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	n int := length(f);
	r record;
	s record;
	p int;
	cnt bigint := (SELECT count(*) FROM recs);
BEGIN
	SELECT * INTO r FROM recs ORDER BY random() LIMIT 1;
	CASE k
	WHEN 0 THEN					-- a byte changed anywhere
		p := pg_temp.rnd(n);
		RETURN set_byte(f, p, (get_byte(f, p) + 1 + pg_temp.rnd(255)) % 256);
	WHEN 1 THEN					-- a u32 anywhere set to an edge value
		p := pg_temp.rnd(n - 3);
		RETURN pg_temp.put(f, p, pg_temp.le32(pg_temp.pick(ARRAY[0, 1, 2, 47, 48, 49, 255, 65535,
			2147483647, 4294967295, 1073741823, 1073741824, pg_temp.get32(f, p) + 1,
			greatest(pg_temp.get32(f, p) - 1, 0), pg_temp.rnd(100000)::bigint])));
	WHEN 2 THEN					-- cut anywhere, or in the last record or the checksum
		RETURN substr(f, 1, CASE WHEN random() < 0.5 THEN pg_temp.rnd(n) ELSE n - 1 - pg_temp.rnd(64) END);
	WHEN 3 THEN					-- bytes inserted anywhere
		p := pg_temp.rnd(n + 1);
		RETURN substr(f, 1, p) || decode(repeat(md5(random()::text), 1 + pg_temp.rnd(4)), 'hex')
			|| substr(f, p + 1);
	WHEN 4 THEN					-- a stretch deleted
		p := pg_temp.rnd(n);
		RETURN substr(f, 1, p) || substr(f, p + 2 + pg_temp.rnd(200));
	WHEN 5 THEN					-- two neighbouring records swapped
		SELECT * INTO s FROM recs x WHERE x.i = r.i + 1;
		IF s IS NULL THEN RETURN f; END IF;
		RETURN substr(f, 1, r.off) || substr(f, s.off + 1, s.len) || substr(f, r.off + 1, r.len)
			|| substr(f, s.off + s.len + 1);
	WHEN 6 THEN					-- a record twice, the count as it was or one more
		f := substr(f, 1, r.off + r.len) || substr(f, r.off + 1, r.len) || substr(f, r.off + r.len + 1);
		RETURN CASE WHEN random() < 0.5 THEN f ELSE pg_temp.put(f, 84, pg_temp.le64(cnt + 1)) END;
	WHEN 7 THEN					-- a record left out, the count as it was or one less
		f := substr(f, 1, r.off) || substr(f, r.off + r.len + 1);
		RETURN CASE WHEN random() < 0.5 THEN f ELSE pg_temp.put(f, 84, pg_temp.le64(cnt - 1)) END;
	WHEN 8 THEN					-- a record's created height: above the file's, or huge
		RETURN pg_temp.put(f, r.off + 36, pg_temp.le64(pg_temp.pick(ARRAY[
			pg_temp.get32(f, 12)::numeric + 1, 9223372036854775807, 9223372036854775808,
			18446744073709551615, pg_temp.rnd(1000)::numeric])));
	WHEN 9 THEN					-- a record's output length
		RETURN pg_temp.put(f, r.off + 44, pg_temp.le32(pg_temp.pick(ARRAY[0, 1, r.len - 49, r.len - 47,
			r.len - 48 + 1 + pg_temp.rnd(64), 1073741823, 1073741824, 4294967295]::bigint[])));
	WHEN 10 THEN				-- the header's height or utxo_count
		RETURN pg_temp.put(f, pg_temp.pick(ARRAY[12, 84]), pg_temp.le64(pg_temp.pick(ARRAY[0, 1,
			cnt - 1, cnt + 1, 9223372036854775807, 9223372036854775808, 18446744073709551615]::numeric[])));
	WHEN 12 THEN				-- the ids: their count, two swapped, one twice (the count as it was or one more)
		SELECT * INTO s FROM ids;
		p := s.off + 8 + 32 * pg_temp.rnd(s.n::int - 1);
		CASE pg_temp.rnd(3)
		WHEN 0 THEN
			RETURN pg_temp.put(f, s.off, pg_temp.le64(pg_temp.pick(ARRAY[0, s.n - 1, s.n + 1,
				9223372036854775807, 9223372036854775808, 18446744073709551615]::numeric[])));
		WHEN 1 THEN
			RETURN substr(f, 1, p) || substr(f, p + 33, 32) || substr(f, p + 1, 32) || substr(f, p + 65);
		ELSE
			f := substr(f, 1, p + 32) || substr(f, p + 1, 32) || substr(f, p + 33);
			RETURN CASE WHEN random() < 0.5 THEN f ELSE pg_temp.put(f, s.off, pg_temp.le64(s.n + 1)) END;
		END CASE;
	ELSE						-- a byte of a record's output changed
		p := r.off + 48 + pg_temp.rnd(r.len - 48);
		RETURN set_byte(f, p, (get_byte(f, p) + 1 + pg_temp.rnd(255)) % 256);
	END CASE;
END $$;

-- The checksum made right again for the mutated bytes
CREATE FUNCTION pg_temp.fix_checksum(m bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN length(m) < 32 THEN m
		ELSE substr(m, 1, length(m) - 32) || wes_digest(substr(m, 1, length(m) - 32))::bytea END
$$;

-- What an import left: the UTXO set (outpoint and output encoding; not created), the
-- state root, and whether every output was created at or below the tip
CREATE FUNCTION pg_temp.imported() RETURNS text LANGUAGE sql STABLE AS $$
	SELECT (SELECT count(*) || ':' || coalesce(md5(string_agg(outpoint::text || encode(
			wes.output_encoding(kind, owner, amount, ref, lock, data), 'hex'), ',' ORDER BY outpoint)), '')
		FROM wes.outputs WHERE spent_by IS NULL)
		|| '|' || coalesce((SELECT state_root::text FROM wes_chain_tip()), '')
		|| '|' || (SELECT bool_and(o.height BETWEEN 0 AND t.height)::text FROM wes.outputs o, wes_chain_tip() t)
$$;

CREATE TABLE fuzz_results (
	id int,
	kind int,
	chunked bool,
	fixed bool,					-- checksum made right after the mutation
	unchanged bool,				-- the mutant is the original file
	outcome text,				-- imported / error
	sqlstate text,
	message text,
	as_original bool,			-- imported: the original's set and state root
	tip_as_file bool			-- imported: tip height and hash as the mutant's header says
);

-- Import m whole or in chunks of random sizes, then undo it: the error (st, msg), or what
-- the import left (got) and whether the tip is the height and hash m's header gives
CREATE FUNCTION pg_temp.try_import(m bytea, chunked bool, OUT st text, OUT msg text, OUT got text, OUT tip_ok bool)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	p int := 1;
	c int;
BEGIN
	IF chunked THEN
		PERFORM wes_snapshot_import_begin();
		WHILE p <= length(m) LOOP
			c := 1 + floor(random() ^ 3 * 4000)::int;
			PERFORM wes_snapshot_import_append(substr(m, p, c));
			p := p + c;
		END LOOP;
		PERFORM * FROM wes_snapshot_import_finish();
	ELSE
		PERFORM wes_snapshot_import(m);
	END IF;
	got := pg_temp.imported();
	tip_ok := (SELECT height::numeric = trunc(pg_temp.get32(m, 12) + pg_temp.get32(m, 16) * 4294967296.0)
		AND hash::bytea = substr(m, 21, 32) FROM wes_chain_tip());
	RAISE SQLSTATE 'XX999';
EXCEPTION
	WHEN SQLSTATE 'XX999' THEN NULL;
	WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
END $$;

-- Mutants first .. first + n - 1, into fuzz_results
CREATE FUNCTION pg_temp.fuzz_batch(first int, n int) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	f bytea := (SELECT snap.f FROM snap);
	want text := (SELECT w.got FROM want w);
	m bytea;
	k int;
	fixed bool;
	chunked bool;
	r record;
BEGIN
	FOR id IN first .. first + n - 1 LOOP
		k := pg_temp.rnd(13);
		m := pg_temp.mutate(f, k);
		fixed := random() < 0.6;
		IF fixed THEN m := pg_temp.fix_checksum(m); END IF;
		chunked := random() < 0.5;
		r := pg_temp.try_import(m, chunked);
		INSERT INTO fuzz_results VALUES (id, k, chunked, fixed, m = f,
			CASE WHEN r.st IS NULL THEN 'imported' ELSE 'error' END, r.st, r.msg, coalesce(r.got = want, false), coalesce(r.tip_ok, false));
	END LOOP;
END $$;

-- What the original file leaves; then the mutants, a transaction of at most 500 each, each
-- followed by a VACUUM of the tables the imports wrote and rolled back.  (In one
-- transaction, or without the VACUUM, every import gets slower than the one before: the
-- dead rows of the earlier ones pile up in the tables it scans and indexes.)
CREATE TEMP TABLE want AS SELECT i.* FROM snap, pg_temp.try_import(snap.f, false) i;
SELECT x.s FROM generate_series(0, (:n - 1) / 500) b,
	unnest(ARRAY['BEGIN', format('SELECT pg_temp.fuzz_batch(%s, %s)', b * 500 + 1, least(500, :n - b * 500)),
				 'COMMIT', 'VACUUM wes.outputs, wes.prior_txids, wes.chain_state, wes.snapshots']) WITH ORDINALITY x(s, o)
ORDER BY b, x.o \gexec
