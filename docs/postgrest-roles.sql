-- Roles for serving wes_api through PostgREST (https://postgrest.org).
-- Run once per cluster as a superuser (roles are cluster-wide); idempotent.
-- Then set the authenticator's password:  \password wes_authenticator
--
-- wes_authenticator: the role PostgREST logs in as.  NOINHERIT: it has no rights of
--   its own and switches (SET ROLE) to wes_web_anon for every request.
-- wes_web_anon: the role anonymous requests run as; a member of wes_reader, so it
--   reads wes_api and nothing else.
-- statement_timeout bounds every request; PostgREST (11.1 and later) applies the
-- settings of the role it switches to, older versions those of the login role,
-- so both carry it.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wes_web_anon') THEN
		CREATE ROLE wes_web_anon NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wes_authenticator') THEN
		CREATE ROLE wes_authenticator LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE;
	END IF;
END
$$;
GRANT wes_reader TO wes_web_anon;
GRANT wes_web_anon TO wes_authenticator;
ALTER ROLE wes_web_anon SET statement_timeout = '5s';
ALTER ROLE wes_authenticator SET statement_timeout = '5s';
COMMENT ON ROLE wes_web_anon IS 'PostgREST anonymous role: reads wes_api (member of wes_reader)';
COMMENT ON ROLE wes_authenticator IS 'PostgREST login role: switches to wes_web_anon for each request';
