-- wes_persist: persistence layer of a WES-style EUTXO blockchain.
-- This file is assembled from sql/NN_*.sql by the Makefile.

\echo Use "CREATE EXTENSION wes_persist" to load this file. \quit

CREATE SCHEMA wes;
COMMENT ON SCHEMA wes IS 'wes_persist internal tables: written only by the DataWriter functions, read through wes_api';
CREATE SCHEMA wes_api;
COMMENT ON SCHEMA wes_api IS 'WES QueryService: read-only views and functions over the chain (for psql, drivers, PostgREST and hot standbys)';

-- Roles are cluster-wide: create them only where missing
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wes_reader') THEN
		CREATE ROLE wes_reader NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wes_writer') THEN
		CREATE ROLE wes_writer NOLOGIN;
	END IF;
	-- a writer reads the tip it writes on (wes-load does): wes_writer is a wes_reader
	IF NOT EXISTS (SELECT FROM pg_auth_members m
				   WHERE m.roleid = 'wes_reader'::regrole AND m.member = 'wes_writer'::regrole) THEN
		GRANT wes_reader TO wes_writer;
	END IF;
END
$$;
