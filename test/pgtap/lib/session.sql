-- The psql settings every pgTAP file starts with (included with \ir, before BEGIN):
-- TAP on standard output only, and the first error ends the file
\unset ECHO
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true
