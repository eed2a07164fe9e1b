--
-- Binary forms of wes_hash, wes_address and wes_outpoint: send gives the bytes,
-- receive takes exactly the type's length (22P03 otherwise).  Receive is
-- reached through binary COPY files written into the data directory.
--

-- Write a one-column binary COPY file with these fields into the data directory
CREATE PROCEDURE pg_temp.write_copy_file(name text, fields bytea[]) LANGUAGE plpgsql AS $$
DECLARE
	content bytea := '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea;
	lo oid;
BEGIN
	FOR i IN 1 .. coalesce(array_length(fields, 1), 0) LOOP
		content := content || '\x0001'::bytea || int4send(length(fields[i])) || fields[i];
	END LOOP;
	lo := lo_from_bytea(0, content || '\xffff'::bytea);
	PERFORM lo_export(lo, name);
	PERFORM lo_unlink(lo);
END
$$;
-- Binary COPY of a query into a file of the data directory (COPY TO takes absolute paths only)
CREATE PROCEDURE pg_temp.copy_out(query text, name text) LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('COPY (%s) TO %L (FORMAT binary)', query, current_setting('data_directory') || '/' || name);
END
$$;

-- send: the value's bytes
SELECT wes_hash_send('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff') AS hash,
       wes_address_send('0123456789abcdef0123456789abcdef01234567') AS address,
       wes_outpoint_send('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:4294967294') AS outpoint;

-- Binary COPY out and back in is the identity
CREATE TEMP TABLE bin_src (h wes_hash, a wes_address, o wes_outpoint);
INSERT INTO bin_src VALUES
	('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
	 '0123456789abcdef0123456789abcdef01234567',
	 '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:258'),
	('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
	 'ffffffffffffffffffffffffffffffffffffffff',
	 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff:4294967295');
CALL pg_temp.copy_out('SELECT * FROM bin_src ORDER BY h', 'types_binary_out.copy');
-- the fields in the file are the bare bytes (outpoint index big-endian)
SELECT substr(pg_read_binary_file('types_binary_out.copy'), 20) AS tuples;
CREATE TEMP TABLE bin_dst (LIKE bin_src);
COPY bin_dst FROM 'types_binary_out.copy' (FORMAT binary);
SELECT * FROM bin_dst EXCEPT ALL SELECT * FROM bin_src;
SELECT count(*) AS copied FROM bin_dst;

-- Receive of exactly the length works
CREATE TEMP TABLE bin_hash (h wes_hash);
CREATE TEMP TABLE bin_address (a wes_address);
CREATE TEMP TABLE bin_outpoint (o wes_outpoint);
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY[
	'\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'::bytea]);
COPY bin_hash FROM 'types_binary_in.copy' (FORMAT binary);
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY['\x0123456789abcdef0123456789abcdef01234567'::bytea]);
COPY bin_address FROM 'types_binary_in.copy' (FORMAT binary);
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY[
	'\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff80000000'::bytea]);
COPY bin_outpoint FROM 'types_binary_in.copy' (FORMAT binary);
SELECT h, a, o FROM bin_hash, bin_address, bin_outpoint;

-- One byte short, one byte long, empty: 22P03
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY[
	'\x00112233445566778899aabbccddeeff00112233445566778899aabbccddee'::bytea]);
COPY bin_hash FROM 'types_binary_in.copy' (FORMAT binary);
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY[
	'\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00'::bytea]);
COPY bin_hash FROM 'types_binary_in.copy' (FORMAT binary);
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY[''::bytea]);
COPY bin_hash FROM 'types_binary_in.copy' (FORMAT binary);
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY['\x0123456789abcdef0123456789abcdef012345'::bytea]);
COPY bin_address FROM 'types_binary_in.copy' (FORMAT binary);
-- a wes_hash's 32 bytes are not an outpoint
CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY[
	'\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'::bytea]);
COPY bin_outpoint FROM 'types_binary_in.copy' (FORMAT binary);

-- The SQLSTATE of those errors
DO $$
BEGIN
	CALL pg_temp.write_copy_file('types_binary_in.copy', ARRAY['\x00'::bytea]);
	COPY bin_outpoint FROM 'types_binary_in.copy' (FORMAT binary);
EXCEPTION WHEN invalid_binary_representation THEN
	RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, SQLERRM;
END
$$;
-- nothing was loaded by the failed COPYs
SELECT (SELECT count(*) FROM bin_hash) AS hashes, (SELECT count(*) FROM bin_address) AS addresses,
       (SELECT count(*) FROM bin_outpoint) AS outpoints;
