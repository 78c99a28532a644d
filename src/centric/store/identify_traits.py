"""identify traits into `customers`, without wiping what a message does not carry.

Rule: each identify call with a userId is one customers row in text, mapped from Segment's
reserved traits (https://segment.com/docs/connections/spec/identify/#traits) and validated with
the same rules as a customers file (store/validate.py); a row that fails is quarantined (table
customers) while its event still loads. Several identifies of one customer in a load combine in
order: each column takes the latest value given, attributes merge key by key. The result is then
laid over the stored customer: a column the messages left empty keeps its stored value, stored
attributes are merged with the new ones (RFC 7386), origin stays what it was ("event" for a new
customer). The merge is the file ingest's (store/ingest.load_typed).

Trait -> column: email; createdAt or created_at -> created_at; birthday (its year), else age
(the message's year - age) -> birth_year; gender; address.country or country -> country;
address.state, state or region -> region; address.city or city -> city; address.postalCode,
postalCode, postcode or zip -> postcode; language, locale or the context's locale -> language;
acquisition_channel or acquisitionChannel; tags (a JSON array). Every other trait is kept in
attributes (address whole, with its street).
"""

from __future__ import annotations

from centric import schema as S
from centric.store.ingest import drop_staging, load_typed, validated
from centric.store.sqltext import constant, ident

TRAITS = {  # column -> traits paths, first present wins
    "email": ("email",), "created_at": ("createdAt", "created_at"), "gender": ("gender",),
    "country": ("address.country", "country"), "region": ("address.state", "state", "region"),
    "city": ("address.city", "city"), "postcode": ("address.postalCode", "postalCode", "postcode", "zip"),
    "language": ("language", "locale"), "acquisition_channel": ("acquisition_channel", "acquisitionChannel"),
}
DROPPED = ("email", "createdAt", "created_at", "birthday", "age", "gender", "country", "state", "region", "city",
           "postalCode", "postcode", "zip", "language", "locale", "acquisition_channel", "acquisitionChannel", "tags")


PATHS = sorted({p for paths in TRAITS.values() for p in paths} | {"birthday", "age"})


def _trait(path: str) -> str:
    """A trait as trimmed text, from the one parse of the traits (column _t, in PATHS order)."""
    return f"nullif(trim(_t[{PATHS.index(path) + 1}]), '')"


def text_view() -> str:
    """A select of one text row per identify with a userId (columns of customers, _line = _seq)."""
    cols = {name: "coalesce(" + ", ".join(_trait(p) for p in paths) + ")" for name, paths in TRAITS.items()}
    cols["language"] = f"coalesce({cols['language']}, locale)"
    cols["birth_year"] = (f"CAST(coalesce(year(try_cast({_trait('birthday')} AS DATE)), "
                          f"year(occurred_at) - try_cast({_trait('age')} AS INTEGER)) AS VARCHAR)")
    cols["tags"] = "CAST(json_extract(traits, '$.tags') AS VARCHAR)"
    removed = ", ".join(f"{constant(k)}, NULL" for k in DROPPED)
    cols["attributes"] = f"CAST(nullif(json_merge_patch(traits, json_object({removed})), '{{}}'::JSON) AS VARCHAR)"
    order = [c.name for c in S.CUSTOMERS.input_columns if c.name != "customer_id"]
    select = ", ".join(f"{cols.get(c, 'NULL::VARCHAR')} AS {ident(c)}" for c in order)
    paths = ", ".join(constant("$." + p) for p in PATHS)
    return (f"SELECT _line, customer_id, {select} FROM (SELECT *, json_extract_string(traits, [{paths}]) AS _t FROM ("
            f"SELECT _seq AS _line, user_id AS customer_id, occurred_at, locale, properties AS traits FROM _good "
            f"WHERE kind = 'identify' AND user_id IS NOT NULL))")


def load_identify_traits(con, ctx) -> None:
    if not con.execute("SELECT EXISTS (SELECT 1 FROM _good WHERE kind = 'identify' AND user_id IS NOT NULL)").fetchone()[0]:
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE _cust_text AS {text_view()}")
    validated(con, ctx, S.CUSTOMERS, "_cust_text")
    columns = [c.name for c in S.CUSTOMERS.input_columns if c.name not in ("customer_id", "attributes")]
    latest = ", ".join(f"arg_max({ident(c)}, _line) FILTER (WHERE {ident(c)} IS NOT NULL) AS {ident(c)}" for c in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _cust_new AS SELECT customer_id, {latest}, "
        # attributes merged in message order: the list sorted after the aggregate (an ORDER BY inside
        # the aggregate sorts each group apart, about 5 times slower)
        f"list_reduce(list_transform(list_sort(list({{'l': _line, 'a': attributes}}) FILTER (WHERE attributes IS NOT NULL)), "
        f"x -> x.a), lambda a, b: json_merge_patch(a, b)) AS attributes FROM _checked GROUP BY customer_id"
    )
    drop_staging(con)
    over = ", ".join(f"coalesce(n.{ident(c)}, c.{ident(c)}) AS {ident(c)}" for c in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _cust_merged AS SELECT n.customer_id, {over}, "
        f"CASE WHEN c.attributes IS NULL THEN n.attributes WHEN n.attributes IS NULL THEN c.attributes "
        f"ELSE json_merge_patch(c.attributes, n.attributes) END AS attributes, coalesce(c.origin, 'event') AS origin "
        f"FROM _cust_new n LEFT JOIN customers c USING (customer_id)"
    )
    load_typed(con, S.CUSTOMERS, "_cust_merged", ctx.report, "spool")
    for t in ("_cust_text", "_cust_new", "_cust_merged"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
