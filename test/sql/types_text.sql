--
-- Text forms of wes_hash, wes_address and wes_outpoint: what is accepted, what
-- comes out, and every rejected input with its SQLSTATE, message and detail.
--

-- How a cast from text fails: SQLSTATE, message, detail ('ok' when it does not)
CREATE FUNCTION pg_temp.cast_error(input text, typ text)
RETURNS TABLE (sqlstate text, message text, detail text) LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; det text;
BEGIN
	EXECUTE format('SELECT %L::%s', input, typ);
	RETURN QUERY SELECT 'ok', NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN QUERY SELECT st, msg, det;
END
$$;

-- wes_hash: lower case out; upper case, mixed case, 0x, 0X and \x in
SELECT input, input::wes_hash AS value
FROM (VALUES
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF'),
	('00112233445566778899aAbBcCdDeEfF00112233445566778899AaBbCcDdEeFf'),
	('0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('0X00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF'),
	('\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('0000000000000000000000000000000000000000000000000000000000000000'),
	('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff')
) AS v(input);

-- wes_address: the same rules over 40 digits
SELECT input, input::wes_address AS value
FROM (VALUES
	('0123456789abcdef0123456789abcdef01234567'),
	('0123456789ABCDEF0123456789ABCDEF01234567'),
	('0x0123456789abcdef0123456789abcdef01234567'),
	('0X0123456789ABCDEF0123456789ABCDEF01234567'),
	('\x0123456789abcdef0123456789abcdef01234567')
) AS v(input);

-- wes_outpoint: <64 hex>:<index>, index 0 .. 4294967295 (leading zeros are read)
SELECT input, input::wes_outpoint AS value
FROM (VALUES
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:0'),
	('00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF:1'),
	('0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:2147483648'),
	('\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:4294967295'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:007')
) AS v(input);

-- Output is the canonical text, so text -> type -> text -> type is the identity
SELECT v::text::wes_hash = v AS hash_round_trip,
       a::text::wes_address = a AS address_round_trip,
       o::text::wes_outpoint = o AS outpoint_round_trip
FROM (SELECT 'ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789'::wes_hash AS v,
             'ABCDEF0123456789abcdef0123456789ABCDEF01'::wes_address AS a,
             'ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789:4294967295'::wes_outpoint AS o) s;

\x on
-- Bad wes_hash text: wrong length, non-hex, bad prefix, empty, junk around it
SELECT input, e.*
FROM (VALUES
	(''),
	('0x'),
	('\x'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeef'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeegg'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddee-f'),
	(' 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff '),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:0'),
	('0x0x112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('\X00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('0123456789abcdef0123456789abcdef01234567')
) AS v(input), pg_temp.cast_error(input, 'wes_hash') e;
\x off

\x on
-- Bad wes_address text
SELECT input, e.*
FROM (VALUES
	(''),
	('0123456789abcdef0123456789abcdef0123456'),
	('0123456789abcdef0123456789abcdef012345678'),
	('0123456789abcdef0123456789abcdef0123456z'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff')
) AS v(input), pg_temp.cast_error(input, 'wes_address') e;
\x off

\x on
-- Bad wes_outpoint text: missing colon, bad txid, missing, negative, too large
-- or non-decimal index, junk after it
SELECT input, e.*
FROM (VALUES
	(''),
	(':0'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:-1'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:+1'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:4294967296'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:99999999999999999999999'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:1.0'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:0x10'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff: 1'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:1 '),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:1:2'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddee:0'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00:0'),
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeezz:0')
) AS v(input), pg_temp.cast_error(input, 'wes_outpoint') e;
\x off

-- The error as a client sees it
SELECT 'not a hash'::wes_hash;
SELECT '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:-1'::wes_outpoint;

-- The outpoint's parts
SELECT wes_outpoint('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 3) AS op,
       wes_outpoint('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 4294967295) AS op_max,
       wes_outpoint_txid('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:4294967295') AS txid,
       wes_outpoint_index('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:4294967295') AS index;
SELECT wes_outpoint('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', -1);
SELECT wes_outpoint('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 4294967296);

-- bytea casts: the bytes themselves; another length is an error
SELECT 'ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789'::wes_hash::bytea AS hash_bytes,
       '0123456789abcdef0123456789abcdef01234567'::wes_address::bytea AS address_bytes,
       '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:258'::wes_outpoint::bytea AS outpoint_bytes;
SELECT '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'::bytea::wes_hash AS hash,
       '\x0123456789abcdef0123456789abcdef01234567'::bytea::wes_address AS address,
       '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00000102'::bytea::wes_outpoint AS outpoint;
SELECT '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddee'::bytea::wes_hash;
SELECT '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00'::bytea::wes_hash;
SELECT ''::bytea::wes_address;
SELECT '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'::bytea::wes_outpoint;
-- Assignment casts let a bytea go into a column of the types
CREATE TEMP TABLE assigned (h wes_hash, a wes_address, o wes_outpoint);
INSERT INTO assigned VALUES ('\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'::bytea,
                             '\x0123456789abcdef0123456789abcdef01234567'::bytea,
                             '\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeffffffffff'::bytea);
SELECT * FROM assigned;

-- Prefix bounds: h ^@ p is h BETWEEN *_prefix_lower(p) AND *_prefix_upper(p)
SELECT p, wes_hash_prefix_lower(p) AS lower, wes_hash_prefix_upper(p) AS upper
FROM (VALUES (''), ('0x'), ('a'), ('AB'), ('0xabc'), ('\xABC'), ('0'), ('f'),
             ('00112233445566778899aabbccddeeff00112233445566778899aabbccddeef'),
             ('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff')) AS v(p);
SELECT p, wes_address_prefix_lower(p) AS lower, wes_address_prefix_upper(p) AS upper
FROM (VALUES (''), ('7'), ('0X7f'), ('0123456789abcdef0123456789abcdef01234567')) AS v(p);
SELECT wes_hash_prefix_lower('abg');
SELECT wes_hash_prefix_upper(' ab');
SELECT wes_hash_prefix_lower('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0');
SELECT wes_address_prefix_lower('0123456789abcdef0123456789abcdef012345678');
SELECT '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'::wes_hash ^@ 'x';
SELECT h, p, h ^@ p AS starts_with
FROM (VALUES ('abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789'::wes_hash)) AS h(h),
     (VALUES (''), ('a'), ('A'), ('ab'), ('abc'), ('0xABCD'), ('\xabcde'), ('b'), ('abd'), ('abcdf'),
             ('abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789'),
             ('abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456788')) AS p(p);
SELECT '0123456789abcdef0123456789abcdef01234567'::wes_address ^@ '0123' AS yes,
       '0123456789abcdef0123456789abcdef01234567'::wes_address ^@ '0124' AS no;
