-- CQRS by privilege: wes_reader reads everything in wes_api and can change nothing,
-- by any route; nobody but the owner holds DML rights on wes.*.
\ir lib/session.sql

BEGIN;
SELECT plan(54);

\ir lib/synthetic_chain.sql
SELECT pg_temp.synthetic_chain(20, 10, 0.5);
INSERT INTO wes.resource_content (content_hash, content, size)
VALUES (pg_temp.h32('content')::wes_hash, '\x0102', 2);

-- ---- catalogue: who may do what ----
SELECT ok(has_schema_privilege('wes_reader', 'wes_api', 'USAGE'), 'wes_reader may use schema wes_api');
SELECT ok(NOT has_schema_privilege('wes_reader', 'wes', 'USAGE'), 'wes_reader may not use schema wes');
SELECT ok(NOT has_schema_privilege('wes_reader', 'wes_api', 'CREATE'), 'wes_reader may not create in wes_api');
SELECT is((SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
		   WHERE c.relnamespace = 'wes'::regnamespace AND a.grantee <> c.relowner
			 AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')),
		  0::bigint, 'no role but the owner holds a write privilege on any relation of wes');
SELECT is((SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
		   WHERE c.relnamespace = 'wes_api'::regnamespace AND a.grantee <> c.relowner
			 AND a.privilege_type <> 'SELECT'),
		  0::bigint, 'on wes_api views, roles other than the owner hold SELECT only');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
		   WHERE c.relnamespace = 'wes_api'::regnamespace AND c.relkind = 'v'
			 AND NOT has_table_privilege('wes_reader', c.oid, 'SELECT')),
		  NULL, 'wes_reader may select from every wes_api view');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
		   WHERE c.relnamespace = 'wes_api'::regnamespace AND c.relkind = 'v'
			 AND coalesce(c.reloptions::text[], '{}') && ARRAY['security_invoker=true', 'security_invoker=on']),
		  NULL, 'no wes_api view is security_invoker (they read wes.* with their owner''s rights)');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
		   WHERE p.pronamespace = 'wes_api'::regnamespace
			 AND (p.provolatile = 'v' OR p.proparallel <> 's' OR p.prosecdef)),
		  NULL, 'every wes_api function is STABLE or IMMUTABLE, PARALLEL SAFE and not SECURITY DEFINER');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
		   WHERE p.pronamespace = 'wes_api'::regnamespace
			 AND NOT has_function_privilege('wes_reader', p.oid, 'EXECUTE')),
		  NULL, 'wes_reader may execute every wes_api function');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p, aclexplode(p.proacl) a
		   WHERE p.pronamespace = 'wes_api'::regnamespace AND a.grantee = 0),
		  NULL, 'PUBLIC may execute no wes_api function (only wes_reader and the owner)');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
		   FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
		   WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
			 AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'wes_persist')
			 AND p.provolatile = 'v' AND has_function_privilege('wes_reader', p.oid, 'EXECUTE')),
		  NULL, 'wes_reader may execute no volatile function of the extension (the write functions)');
SELECT is((SELECT count(*) FROM pg_class c
		   WHERE c.relkind = 'S' AND c.relnamespace IN ('wes'::regnamespace, 'wes_api'::regnamespace)
			 AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('wes_reader', c.oid, 'USAGE,UPDATE') END),
		  0::bigint, 'wes_reader may advance no sequence of wes or wes_api');
SELECT ok(NOT has_function_privilege('wes_reader', 'lo_create(oid)', 'EXECUTE')
		  AND NOT has_function_privilege('wes_reader', 'lo_creat(integer)', 'EXECUTE')
		  AND NOT has_function_privilege('wes_reader', 'lo_from_bytea(oid, bytea)', 'EXECUTE')
		  AND NOT has_function_privilege('wes_reader', 'lo_import(text)', 'EXECUTE'),
		  'wes_reader may create no large object');

-- ---- as wes_reader ----
SET LOCAL ROLE wes_reader;

SELECT lives_ok('SELECT count(*) FROM wes_api.blocks, wes_api.tip', 'wes_reader reads wes_api.blocks and wes_api.tip');
SELECT isnt_empty('SELECT * FROM wes_api.outputs', 'wes_reader sees outputs through wes_api');
SELECT isnt_empty('SELECT * FROM wes_chain_tip()', 'wes_reader calls wes_chain_tip()');
SELECT isnt_empty($$SELECT * FROM wes_utxo_lookup(ARRAY(SELECT outpoint FROM wes_api.outputs LIMIT 5))$$,
				  'wes_reader calls wes_utxo_lookup(ops[])');
SELECT lives_ok($$SELECT wes_address_balance(pg_temp.synthetic_owner(1), at_height => 10)$$,
				'wes_reader calls wes_address_balance(owner, asset, h)');

SELECT throws_ok('SELECT * FROM wes.blocks', '42501', NULL, 'reading wes.blocks directly is refused');
SELECT throws_ok($$INSERT INTO wes.blocks SELECT * FROM wes.blocks$$, '42501', NULL, 'INSERT into wes.blocks is refused');
SELECT throws_ok('UPDATE wes.chain_state SET height = 0', '42501', NULL, 'UPDATE of wes.chain_state is refused');
SELECT throws_ok('UPDATE wes.outputs SET spent_by = NULL, spent_height = NULL', '42501', NULL, 'clearing spend marks in wes.outputs is refused');
SELECT throws_ok('TRUNCATE wes.outputs', '42501', NULL, 'TRUNCATE of wes.outputs is refused');
SELECT throws_ok('TRUNCATE wes.journal, wes.inputs', '42501', NULL, 'TRUNCATE of wes.journal and wes.inputs is refused');
SELECT throws_ok($$DELETE FROM wes.resource_content$$, '42501', NULL, 'DELETE from wes.resource_content is refused');
-- Simple views are auto-updatable: only the missing privilege stops a write through them
SELECT throws_ok('UPDATE wes_api.blocks SET tx_count = 0', '42501', NULL, 'UPDATE through the auto-updatable view wes_api.blocks is refused');
SELECT throws_ok('DELETE FROM wes_api.outputs', '42501', NULL, 'DELETE through the auto-updatable view wes_api.outputs is refused');
SELECT throws_ok($$INSERT INTO wes_api.resource_content (content_hash, content, size) VALUES (repeat('00', 32)::wes_hash, '\x', 0)$$,
				 '42501', NULL, 'INSERT through wes_api.resource_content is refused');
SELECT throws_ok('UPDATE wes_api.tip SET height = 0', '42501', NULL, 'UPDATE through wes_api.tip is refused');
SELECT throws_ok('TRUNCATE wes_api.blocks', '42809', NULL, 'a view cannot be truncated');
SELECT throws_ok('SELECT * FROM wes_api.utxos FOR UPDATE', '42501', NULL, 'locking rows through a view (SELECT FOR UPDATE) is refused');
SELECT throws_ok($$COPY wes.blocks FROM '/dev/null'$$, '42501', NULL, 'COPY FROM a server file is refused');
SELECT throws_ok($$COPY wes_api.blocks FROM PROGRAM 'true'$$, '42501', NULL, 'COPY FROM PROGRAM is refused');
SELECT throws_ok('SELECT lo_create(0)', '42501', NULL, 'lo_create is refused');
SELECT throws_ok('SELECT lo_creat(-1)', '42501', NULL, 'lo_creat is refused');
SELECT throws_ok($$SELECT lo_from_bytea(0, '\x00')$$, '42501', NULL, 'lo_from_bytea is refused');
SELECT throws_ok($$SELECT lo_import('/etc/hostname')$$, '42501', NULL, 'server-side lo_import is refused');
SELECT throws_ok('CREATE TABLE wes.t (x int)', '42501', NULL, 'creating a table in wes is refused');
SELECT throws_ok('CREATE SEQUENCE wes_api.s', '42501', NULL, 'creating a sequence in wes_api is refused');
SELECT throws_ok('CREATE FUNCTION wes_api.f() RETURNS int LANGUAGE sql RETURN 1', '42501', NULL, 'creating a function in wes_api is refused');
SELECT throws_ok('ALTER VIEW wes_api.blocks RENAME TO b', '42501', NULL, 'altering a wes_api view is refused');
SELECT throws_ok($$SELECT wes.u64(1)$$, '42501', NULL, 'functions of schema wes cannot be named (no USAGE on wes)');
-- Write functions of the DataWriter, when present, are not the reader's
SELECT is((SELECT count(*) FROM pg_proc p WHERE p.proname IN ('wes_write_block', 'wes_write_blocks', 'wes_write_resource', 'wes_rollback_to')
		   AND has_function_privilege(p.oid, 'EXECUTE')), 0::bigint,
		  'wes_reader may execute none of the write functions');
RESET ROLE;

-- ---- the extension's functions: what a caller cannot reach or redirect ----
CREATE TEMP VIEW ext_functions AS
SELECT p.oid, p.oid::regprocedure::text AS name, p.prosecdef, p.proconfig FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'wes_persist';
SELECT is((SELECT array_agg(name ORDER BY name) FROM ext_functions
		   WHERE prosecdef AND has_function_privilege('public', oid, 'EXECUTE')),
		  NULL, 'no SECURITY DEFINER function of the extension is executable by PUBLIC');
SELECT is((SELECT array_agg(name ORDER BY name) FROM ext_functions
		   WHERE prosecdef AND NOT coalesce(proconfig, '{}') && ARRAY['search_path=pg_catalog, pg_temp']),
		  NULL, 'every SECURITY DEFINER function of the extension pins search_path = pg_catalog, pg_temp');
SELECT ok((SELECT proconfig FROM ext_functions WHERE name LIKE 'wes_api.resource_read(%')
		  @> ARRAY[format('search_path=pg_catalog, %s, pg_temp', (SELECT quote_ident(extnamespace::regnamespace::text)
																  FROM pg_extension WHERE extname = 'wes_persist'))],
		  'wes_api.resource_read (PL/pgSQL, operators resolved as it runs) pins its search_path');

-- ---- a writer reads the tip it writes on ----
SELECT ok(pg_has_role('wes_writer', 'wes_reader', 'USAGE'), 'wes_writer is a member of wes_reader');
SET LOCAL ROLE wes_writer;
SELECT lives_ok('SELECT height FROM wes_api.tip', 'wes_writer reads wes_api.tip (wes-load does)');
RESET ROLE;

-- ---- wes_publication: CREATE EXTENSION extends one a superuser owns, and no other ----
-- (last: the extension is dropped and created again, which the test's ROLLBACK undoes;
-- a savepoint would roll back pgTAP's count of these tests too)
SET LOCAL client_min_messages = warning;
DROP EXTENSION wes_persist CASCADE;
CREATE ROLE wes_test_publisher;
ALTER PUBLICATION wes_publication OWNER TO wes_test_publisher;
SELECT throws_ok('CREATE EXTENSION wes_persist', '42501',
				 'publication wes_publication exists and belongs to wes_test_publisher, who is not a superuser',
				 'CREATE EXTENSION refuses a wes_publication another role owns (that role could unpublish the tables)');
ALTER PUBLICATION wes_publication OWNER TO CURRENT_USER;
ALTER PUBLICATION wes_publication SET (publish = 'insert');
SELECT throws_ok('CREATE EXTENSION wes_persist', '55000',
				 'publication wes_publication exists and does not publish every kind of change',
				 '... and one that does not publish updates and deletes (replicas would miss spends and rollbacks)');
ALTER PUBLICATION wes_publication SET (publish = 'insert, update, delete, truncate');
SELECT lives_ok('CREATE EXTENSION wes_persist', '... and extends one a superuser owns that publishes every change');
SELECT is((SELECT count(*) FROM pg_publication_tables WHERE pubname = 'wes_publication'),
		  (SELECT count(*) FROM pg_tables WHERE schemaname = 'wes'), '... with every table of wes');
DROP EXTENSION wes_persist CASCADE;
DROP PUBLICATION wes_publication;
SELECT lives_ok('CREATE EXTENSION wes_persist', 'without one, CREATE EXTENSION makes it');
SELECT is((SELECT pubowner::regrole::text FROM pg_publication WHERE pubname = 'wes_publication'), current_user::text,
		  '... owned by the role that created the extension');

SELECT * FROM finish();
ROLLBACK;
