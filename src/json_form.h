/*
 * json_form.h
 *	  The JSON form of a block (docs/json-form.md), shared by the two
 *	  directions (json_to_block.c, block_to_json.c) and by the decoded views
 *	  (views_decoded.c).
 *
 * The form mirrors the wire format field by field, under the same names the
 * codec uses in its error paths: an error at wire field
 * "transactions[2].outputs[0].amount" is an error at JSON path
 * "$.transactions[2].outputs[0].amount".
 */
#ifndef JSON_FORM_H
#define JSON_FORM_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "wes_types.h"

/* json_to_block.c: the canonical bytes of a JSON form (palloc'd; ERROR 22023 naming the JSON path) */
extern bytea *wes_block_jsonb_to_bytes(Jsonb *jb);

/* Receipt status names, by value (the codec names kinds and resource types) */
extern const char *wes_status_name(uint8 status);

/*
 * block_to_json.c: a receipt's logs as the next value of an object or array
 * (returns the array when it is the root), and wire-format text (UTF-8) in
 * the database's encoding (NULL, with why, when the database cannot hold it)
 */
extern JsonbValue *wes_json_push_logs(JsonbParseState **st, const wes_receipt *r);
extern const char *wes_text_to_server(wes_bytes t, int *len, const char **why);

/* The JSON form of a decoded block */
extern Jsonb *wes_block_jsonb(const wes_block *b);

#endif							/* JSON_FORM_H */
