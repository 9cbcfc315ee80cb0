-- Tables for tests/postgres/sources.sh: the conformance "basics" catalog with PostgreSQL types
-- and other column names (the config's `map` renames them back). Loaded with psql; the CSV is
-- copied in by the script (\copy raw_items FROM ...).
CREATE TABLE raw_items (id text, title text, category text, brand text, price text, popularity text,
  published_at text, stock text, sites text, embedding text, rating text, color text, tags text);

-- Categories keep the order of basics/categories.json (a snapshot lists them in source order):
-- `pos` is what the config orders by.
CREATE TABLE categories (id text PRIMARY KEY, name text, parent text, pos integer);
INSERT INTO categories VALUES
  ('footwear', 'Footwear', NULL, 1), ('running', 'Running shoes', 'footwear', 2),
  ('hiking', 'Hiking boots', 'footwear', 3), ('apparel', 'Apparel', NULL, 4), ('jackets', 'Jackets', 'apparel', 5);
