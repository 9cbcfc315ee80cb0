-- Typed catalog table from raw_items (after \copy): numeric, bigint, timestamptz, integer, text[],
-- real[], double precision, varchar; tags kept as 'a|b' text under another name (the map splits it).
CREATE TABLE catalog (
  sku text PRIMARY KEY, name text, category text, brand text, price numeric(10, 2), popularity bigint,
  published_at timestamptz, stock integer, sites text[], embedding real[], rating double precision,
  color varchar(20), labels text);
INSERT INTO catalog
SELECT id, title, category, brand, NULLIF(price, '')::numeric, NULLIF(popularity, '')::bigint,
       to_timestamp(NULLIF(published_at, '')::bigint), NULLIF(stock, '')::integer,
       string_to_array(NULLIF(sites, ''), '|'), string_to_array(NULLIF(embedding, ''), ' ')::real[],
       NULLIF(rating, '')::double precision, NULLIF(color, ''), NULLIF(tags, '')
FROM raw_items ORDER BY id;
