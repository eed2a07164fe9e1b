-- Mutations of the JSON forms (and of the bytes) of the vectors' blocks, fed to the
-- conversions.  Run by json_form_fuzz.sh with WES_VECTORS in the environment and psql
-- variables n_forms and n_bytes (how many mutants of each kind) and seed.  Every outcome lands in
-- table outcome; the script asserts over it.
\set ON_ERROR_STOP true
SET client_min_messages = warning;
\set chain `cat "$WES_VECTORS/chain.json"`

CREATE TABLE vblocks AS
SELECT (b->>'height')::int AS height, decode(b->>'hex', 'hex') AS raw
FROM jsonb_array_elements((:'chain'::jsonb)->'blocks') b;
CREATE TABLE forms AS SELECT height, raw, wes_block_to_jsonb(raw) AS j FROM vblocks;

-- Every path of every form, with its value and its JSON path text ($.a[1].b)
CREATE TABLE paths AS
WITH RECURSIVE p(height, path, jpath, val) AS (
	SELECT height, '{}'::text[], '$', j FROM forms
	UNION ALL
	SELECT p.height, p.path || c.k, p.jpath || c.step, c.v
	FROM p, LATERAL (
		SELECT key AS k, '.' || key AS step, value AS v
		FROM jsonb_each(CASE WHEN jsonb_typeof(p.val) = 'object' THEN p.val ELSE '{}' END)
		UNION ALL
		SELECT (i - 1)::text, '[' || (i - 1) || ']', e
		FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.val) = 'array' THEN p.val ELSE '[]' END)
			 WITH ORDINALITY x(e, i)) c)
SELECT * FROM p WHERE cardinality(path) > 0;

-- What replaces a value: kind -> new value (NULL: computed from the old value below)
CREATE TABLE replacements (kind text PRIMARY KEY, val jsonb);
INSERT INTO replacements VALUES
	('null', 'null'), ('true', 'true'), ('zero', '0'), ('minus', '-1'), ('fraction', '1.5'),
	('1e30', '1e30'), ('u64max', '18446744073709551615'), ('u64max+1', '18446744073709551616'),
	('i64max+1', '9223372036854775808'), ('u32max+1', '4294967296'), ('empty', '""'), ('zz', '"zz"'),
	('accent', '"é"'), ('array', '[]'), ('object', '{}'), ('hex0x', '"0x00"'),
	('deep', (repeat('[', 500) || repeat(']', 500))::jsonb),
	('deepobj', (repeat('{"a":', 300) || '1' || repeat('}', 300))::jsonb),
	('as_string', NULL), ('upper', NULL), ('trunc1', NULL), ('trunc2', NULL), ('hexgrow', NULL),
	('delete', NULL), ('unknown_key', NULL), ('dup_elem', NULL), ('drop_elem', NULL);

-- The mutant of form j at path for one kind (NULL when the kind does not apply)
CREATE FUNCTION mutate(j jsonb, path text[], val jsonb, kind text, repl jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	t text := jsonb_typeof(val);
	s text := val #>> '{}';
	parent text[] := path[:cardinality(path) - 1];
BEGIN
	CASE kind
	WHEN 'as_string' THEN RETURN CASE WHEN t = 'number' THEN jsonb_set(j, path, to_jsonb(s)) END;
	WHEN 'upper' THEN RETURN CASE WHEN t = 'string' THEN jsonb_set(j, path, to_jsonb(upper(s))) END;
	WHEN 'trunc1' THEN RETURN CASE WHEN t = 'string' AND s <> '' THEN jsonb_set(j, path, to_jsonb(left(s, -1))) END;
	WHEN 'trunc2' THEN RETURN CASE WHEN t = 'string' AND length(s) > 1 THEN jsonb_set(j, path, to_jsonb(left(s, -2))) END;
	WHEN 'hexgrow' THEN RETURN CASE WHEN t = 'string' THEN jsonb_set(j, path, to_jsonb(s || 'ab')) END;
	WHEN 'delete' THEN RETURN j #- path;
	WHEN 'unknown_key' THEN RETURN CASE WHEN t = 'object' THEN jsonb_set(j, path, val || '{"zz": 1}') END;
	WHEN 'dup_elem' THEN RETURN CASE WHEN t = 'array' AND jsonb_array_length(val) > 0 THEN jsonb_set(j, path, val || jsonb_build_array(val->0)) END;
	WHEN 'drop_elem' THEN RETURN CASE WHEN t = 'array' AND jsonb_array_length(val) > 0 THEN jsonb_set(j, path, val - 0) END;
	ELSE RETURN jsonb_set(j, path, repl);
	END CASE;
END
$$;

SELECT setseed(:seed);
CREATE TABLE mutants AS
SELECT m.* FROM (
	SELECT p.height, p.path, p.jpath, r.kind, f.raw, mutate(f.j, p.path, p.val, r.kind, r.val) AS form
	FROM paths p JOIN forms f USING (height) CROSS JOIN replacements r) m
WHERE m.form IS NOT NULL
ORDER BY random()
LIMIT :n_forms;

CREATE TABLE outcome (n serial, what text, height int, kind text, jpath text,
					  accepted boolean, round_trip boolean, same_bytes boolean,
					  sqlstate text, message text);

-- Feed every mutant to wes_block_from_jsonb; an accepted one must convert back exactly
CREATE FUNCTION run_forms() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	m record;
	b bytea;
	st text;
	msg text;
BEGIN
	FOR m IN SELECT * FROM mutants LOOP
		BEGIN
			b := wes_block_from_jsonb(m.form);
			INSERT INTO outcome (what, height, kind, jpath, accepted, round_trip, same_bytes)
			VALUES ('form', m.height, m.kind, m.jpath, true,
					wes_block_from_jsonb(wes_block_to_jsonb(b)) = b, b = m.raw);
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			INSERT INTO outcome (what, height, kind, jpath, accepted, sqlstate, message)
			VALUES ('form', m.height, m.kind, m.jpath, false, st, msg);
		END;
	END LOOP;
END
$$;

-- Bytes: every truncation of the smallest block, and random byte changes of every block,
-- fed to wes_block_to_jsonb; what converts must come back exactly
CREATE FUNCTION run_bytes(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	m record;
	j jsonb;
	st text;
	msg text;
BEGIN
	FOR m IN
		SELECT height, substr(raw, 1, k) AS raw, 'truncate' AS kind FROM vblocks, generate_series(0, length(raw) - 1) k
		WHERE height = (SELECT height FROM vblocks ORDER BY length(raw) LIMIT 1)
		UNION ALL
		SELECT height, set_byte(raw, pos, (get_byte(raw, pos) # (1 + floor(random() * 255))::int)), 'flip'
		FROM (SELECT height, raw, floor(random() * length(raw))::int AS pos
			  FROM vblocks, generate_series(1, n / 12)) x
	LOOP
		BEGIN
			j := wes_block_to_jsonb(m.raw);
			INSERT INTO outcome (what, height, kind, accepted, round_trip)
			VALUES ('bytes', m.height, m.kind, true, wes_block_from_jsonb(j) = m.raw);
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			INSERT INTO outcome (what, height, kind, accepted, sqlstate, message)
			VALUES ('bytes', m.height, m.kind, false, st, msg);
		END;
	END LOOP;
END
$$;

SELECT run_forms();
SELECT run_bytes(:n_bytes);
