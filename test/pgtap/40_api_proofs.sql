-- Inclusion proofs: audit paths from wes.merkle_path verify against the roots of
-- merkle.json (an independent implementation), and every tampering is caught.
\ir lib/session.sql

BEGIN;
SELECT plan(9);

\set merkle `cat $WES_VECTORS/merkle.json`
CREATE TEMP TABLE mv AS
SELECT v.ord, ARRAY(SELECT x::wes_hash FROM jsonb_array_elements_text(v.t->'leaves') WITH ORDINALITY AS l(x, o) ORDER BY o) AS leaves,
	   (v.t->>'root')::wes_hash AS root
FROM jsonb_array_elements(:'merkle'::jsonb->'merkle') WITH ORDINALITY AS v(t, ord);
CREATE TEMP TABLE proofs AS
SELECT mv.ord, i, cardinality(mv.leaves) AS n, mv.leaves[i + 1] AS leaf, mv.root,
	   wes.merkle_path(mv.leaves, i) AS path
FROM mv, generate_series(0, cardinality(mv.leaves) - 1) i;

SELECT cmp_ok((SELECT count(*) FROM proofs), '>', 20::bigint, 'merkle.json gives proofs over many tree sizes');
SELECT is((SELECT count(*) FROM proofs WHERE NOT wes_verify_tx_proof(leaf, i, n, path, root)), 0::bigint,
		  'every leaf of every merkle.json tree is proved under the vector''s root');
SELECT is((SELECT count(*) FROM (SELECT ord, n, max(coalesce(cardinality(path), 0)) AS longest FROM proofs GROUP BY ord, n) x
		   WHERE x.longest <> ceil(log(2, x.n::numeric))::int), 0::bigint,
		  'the longest audit path of a tree of n leaves has ceil(log2 n) hashes');
SELECT is((SELECT count(*) FROM proofs WHERE n > 1 AND wes_verify_tx_proof(leaf, (i + 1) % n, n, path, root)), 0::bigint,
		  'a proof does not verify at another index');
SELECT is((SELECT count(*) FROM proofs p, generate_series(1, cardinality(p.path)) k
		   WHERE wes_verify_tx_proof(p.leaf, p.i, p.n,
									 p.path[:k - 1] || (decode(md5(p.path[k]::text), 'hex') || decode(md5(p.path[k]::text || 'x'), 'hex'))::wes_hash
									 || p.path[k + 1:], p.root)), 0::bigint,
		  'replacing any one hash of a path makes it fail');
SELECT is((SELECT count(*) FROM proofs p WHERE cardinality(p.path) > 0 AND wes_verify_tx_proof(p.leaf, p.i, p.n, p.path[2:], p.root)), 0::bigint,
		  'a shortened path fails');
SELECT is((SELECT count(*) FROM proofs p, mv WHERE mv.ord <> p.ord AND wes_verify_tx_proof(p.leaf, p.i, p.n, p.path, mv.root)), 0::bigint,
		  'a proof fails under any other root');
SELECT ok(NOT wes_verify_tx_proof(repeat('00', 32)::wes_hash, -1, 1, '{}', repeat('00', 32)::wes_hash)
		  AND NOT wes_verify_tx_proof(repeat('00', 32)::wes_hash, 3, 2, '{}', repeat('00', 32)::wes_hash),
		  'an index outside the tree is false, not an error');
SELECT throws_ok($$SELECT wes.merkle_path(ARRAY[repeat('00', 32)::wes_hash], 1)$$, '22023',
				 'leaf index 1 is outside a tree of 1 leaves', 'a path for a leaf outside the tree is an error naming index and size');

SELECT * FROM finish();
ROLLBACK;
