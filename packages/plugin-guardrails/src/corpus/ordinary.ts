// Ordinary application SQL that protect-prod must let through: ORM queries, reporting, and migrations outside prod.

export interface OrdinaryStatement {
  readonly sql: string;
  /** Where it comes from. */
  readonly source: string;
  /** The environment it runs in: application and reporting SQL in prod, migrations outside it. */
  readonly environment: 'prod' | 'staging' | 'dev';
}

const app = (source: string, sql: string): OrdinaryStatement => ({ source, sql, environment: 'prod' });
const migration = (source: string, sql: string, environment: 'staging' | 'dev' = 'staging'): OrdinaryStatement => ({ source, sql, environment });

export const POSTGRES_ORDINARY: readonly OrdinaryStatement[] = [
  // Prisma
  app('prisma findMany', 'SELECT "public"."User"."id", "public"."User"."email", "public"."User"."name" FROM "public"."User" WHERE "public"."User"."email" = $1 LIMIT $2 OFFSET $3'),
  app('prisma create', 'INSERT INTO "public"."Post" ("title","content","authorId","published") VALUES ($1,$2,$3,$4) RETURNING "public"."Post"."id"'),
  app('prisma update', 'UPDATE "public"."Post" SET "published" = $1 WHERE ("public"."Post"."id" = $2 AND 1=1) RETURNING "public"."Post"."id"'),
  app('prisma delete', 'DELETE FROM "public"."Post" WHERE ("public"."Post"."id" IN ($1) AND 1=1)'),
  app('prisma transaction', 'BEGIN'),
  app('prisma count', 'SELECT COUNT(*) FROM (SELECT "public"."Post"."id" FROM "public"."Post" WHERE "public"."Post"."published" = $1 OFFSET $2) AS "sub"'),
  // Django
  app('django filter', 'SELECT "auth_user"."id", "auth_user"."password", "auth_user"."last_login", "auth_user"."username" FROM "auth_user" WHERE "auth_user"."username" = \'alice\' LIMIT 21'),
  app('django save', 'UPDATE "django_session" SET "session_data" = \'eyJ...\', "expire_date" = \'2025-04-01T00:00:00+00:00\'::timestamptz WHERE "django_session"."session_key" = \'abc123\''),
  app('django bulk_create', 'INSERT INTO "shop_order" ("customer_id", "total", "created") VALUES (1, 10.5, now()), (2, 7.25, now()) RETURNING "shop_order"."id"'),
  app('django delete', 'DELETE FROM "django_session" WHERE "django_session"."expire_date" < \'2025-03-01T00:00:00+00:00\'::timestamptz'),
  app('django select_related', 'SELECT "shop_order"."id", "shop_customer"."name" FROM "shop_order" INNER JOIN "shop_customer" ON ("shop_order"."customer_id" = "shop_customer"."id") WHERE "shop_order"."total" > 100 ORDER BY "shop_order"."created" DESC'),
  app('django savepoint', 'SAVEPOINT "s140234_x1"'),
  app('django release', 'RELEASE SAVEPOINT "s140234_x1"'),
  // Rails / ActiveRecord
  app('rails find', 'SELECT "users".* FROM "users" WHERE "users"."id" = $1 LIMIT $2'),
  app('rails where in', 'SELECT "orders".* FROM "orders" WHERE "orders"."status" IN ($1, $2) AND "orders"."deleted_at" IS NULL ORDER BY "orders"."id" ASC LIMIT $3'),
  app('rails update_all', 'UPDATE "orders" SET "status" = $1 WHERE "orders"."customer_id" = $2'),
  app('rails upsert', 'INSERT INTO "carts" ("user_id","item_id","qty","created_at","updated_at") VALUES (1, 2, 3, now(), now()) ON CONFLICT ("user_id","item_id") DO UPDATE SET "qty"=excluded."qty","updated_at"=excluded."updated_at" RETURNING "id"'),
  app('rails schema check', 'SELECT "schema_migrations"."version" FROM "schema_migrations" ORDER BY "schema_migrations"."version" ASC'),
  // Hibernate / JPA
  app('hibernate select', 'select o1_0.id,o1_0.customer_id,o1_0.total from orders o1_0 where o1_0.customer_id=$1 and o1_0.total>$2'),
  app('hibernate sequence', "select nextval('orders_seq')"),
  app('hibernate insert', 'insert into orders (customer_id,total,id) values ($1,$2,$3)'),
  app('hibernate optimistic update', 'update orders set total=$1,version=$2 where id=$3 and version=$4'),
  // SQLAlchemy
  app('sqlalchemy select', 'SELECT accounts.id, accounts.balance FROM accounts WHERE accounts.owner_id = $1 FOR UPDATE'),
  app('sqlalchemy insert returning', 'INSERT INTO events (kind, payload) VALUES ($1, $2::jsonb) RETURNING events.id'),
  app('sqlalchemy delete', 'DELETE FROM cart_items WHERE cart_items.cart_id = $1 AND cart_items.item_id = $2'),
  // Sequelize / TypeORM / Knex
  app('sequelize findAll', 'SELECT "id", "name", "createdAt" FROM "Products" AS "Product" WHERE "Product"."deletedAt" IS NULL AND "Product"."price" < 100 ORDER BY "Product"."name" LIMIT 20;'),
  app('typeorm leftJoin', 'SELECT "u"."id" AS "u_id", "p"."id" AS "p_id" FROM "user" "u" LEFT JOIN "photo" "p" ON "p"."userId"="u"."id" WHERE "u"."name" = $1'),
  app('knex increment', 'update "inventory" set "stock" = "stock" - 1 where "sku" = $1 and "stock" > 0'),
  // Connection setup and housekeeping drivers send
  app('driver setup', "SET application_name = 'billing'"),
  app('driver setup', 'SET search_path TO app, public'),
  app('driver setup', "SELECT set_config('app.tenant_id', '42', false)"),
  app('psql describe', "SELECT c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND n.nspname !~ '^pg_' ORDER BY 1"),
  app('health check', 'SELECT 1'),
  app('version', 'SHOW server_version'),
  app('transaction', 'BEGIN ISOLATION LEVEL REPEATABLE READ'),
  app('transaction', 'COMMIT'),
  app('transaction', 'ROLLBACK'),
  app('advisory lock', 'SELECT pg_try_advisory_lock(42)'),
  app('listen', 'LISTEN order_events'),
  app('notify', "SELECT pg_notify('order_events', '{\"id\": 1}')"),
  app('literal that looks like DDL', "SELECT 'drop table orders; delete from orders' AS note"),
  app('dollar-quoted literal', 'SELECT $tag$; DROP TABLE orders; $tag$ AS text'),
  app('comment that looks like DDL', '/* drop table orders */ SELECT count(*) FROM orders'),
  app('procedure call', 'CALL refresh_customer_stats($1)'),
  app('bulk load from the client', 'COPY orders (id, total) FROM STDIN WITH (FORMAT csv)'),
  app('export to the client', 'COPY (SELECT id, total FROM orders WHERE created > now() - interval \'1 day\') TO STDOUT WITH CSV HEADER'),
  app('explain', 'EXPLAIN SELECT * FROM orders WHERE customer_id = 1'),
  app('explain analyze of a read', 'EXPLAIN ANALYZE SELECT * FROM orders WHERE customer_id = 1'),
  // Reporting
  app('report: revenue by month', "SELECT date_trunc('month', created) AS month, sum(total) AS revenue, count(*) FILTER (WHERE total > 100) AS big FROM orders GROUP BY 1 ORDER BY 1"),
  app('report: window ranking', 'SELECT customer_id, total, rank() OVER (PARTITION BY customer_id ORDER BY total DESC) AS r FROM orders'),
  app('report: CTE', 'WITH recent AS (SELECT * FROM orders WHERE created > now() - interval \'30 days\'), totals AS (SELECT customer_id, sum(total) s FROM recent GROUP BY customer_id) SELECT c.name, t.s FROM totals t JOIN customers c ON c.id = t.customer_id ORDER BY t.s DESC LIMIT 10'),
  app('report: recursive CTE', 'WITH RECURSIVE tree AS (SELECT id, parent_id, 1 AS depth FROM categories WHERE parent_id IS NULL UNION ALL SELECT c.id, c.parent_id, t.depth + 1 FROM categories c JOIN tree t ON c.parent_id = t.id) SELECT * FROM tree'),
  app('report: rollup', 'SELECT region, product, sum(amount) FROM sales GROUP BY ROLLUP (region, product)'),
  app('report: lateral', 'SELECT c.id, o.* FROM customers c CROSS JOIN LATERAL (SELECT * FROM orders o WHERE o.customer_id = c.id ORDER BY created DESC LIMIT 3) o'),
  app('report: json', "SELECT id, payload->>'kind' AS kind, jsonb_array_length(payload->'items') FROM events WHERE payload @> '{\"kind\": \"order\"}'"),
  app('report: percentile', 'SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FROM requests WHERE at > now() - interval \'1 hour\''),
  // Migrations, run outside prod
  migration('rails migration', 'CREATE TABLE "invoices" ("id" bigserial primary key, "order_id" bigint NOT NULL, "created_at" timestamp(6) NOT NULL)'),
  migration('rails migration', 'CREATE INDEX "index_invoices_on_order_id" ON "invoices" ("order_id")'),
  migration('django migration', 'ALTER TABLE "shop_order" ADD COLUMN "note" text NULL'),
  migration('django migration', 'ALTER TABLE "shop_order" ALTER COLUMN "note" DROP DEFAULT'),
  migration('flyway', 'DROP TABLE IF EXISTS tmp_import', 'dev'),
  migration('flyway', 'TRUNCATE staging_orders', 'dev'),
  migration('flyway', 'CREATE OR REPLACE VIEW active_customers AS SELECT * FROM customers WHERE active'),
  migration('flyway', 'GRANT SELECT ON invoices TO reporting'),
  migration('alembic', 'UPDATE alembic_version SET version_num=\'ae1027a6acf\' WHERE alembic_version.version_num = \'1975ea83b712\''),
  migration('alembic', 'DELETE FROM staging_events', 'dev'),
  migration('prisma migrate', 'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")'),
  migration('backfill in a DO block', "DO $$ BEGIN UPDATE orders SET status = 'new' WHERE status IS NULL; END $$", 'dev'),
];

export const MYSQL_ORDINARY: readonly OrdinaryStatement[] = [
  app('hibernate select', 'select o1_0.id,o1_0.total from orders o1_0 where o1_0.customer_id=?'),
  app('rails find', 'SELECT `users`.* FROM `users` WHERE `users`.`id` = 1 LIMIT 1'),
  app('laravel paginate', 'select * from `posts` where `published` = ? order by `created_at` desc limit 15 offset 30'),
  app('laravel insert', 'insert into `posts` (`title`, `body`, `updated_at`, `created_at`) values (?, ?, ?, ?)'),
  app('laravel update', 'update `posts` set `views` = `views` + 1 where `id` = ?'),
  app('laravel delete', 'delete from `sessions` where `last_activity` <= ?'),
  app('upsert', 'INSERT INTO carts (user_id, item_id, qty) VALUES (1, 2, 3) ON DUPLICATE KEY UPDATE qty = VALUES(qty)'),
  app('driver setup', 'SET NAMES utf8mb4'),
  app('driver setup', 'SET autocommit=1'),
  app('transaction', 'START TRANSACTION'),
  app('transaction', 'COMMIT'),
  app('show', 'SHOW TABLES'),
  app('report', 'SELECT DATE_FORMAT(created, \'%Y-%m\') AS month, SUM(total) FROM orders GROUP BY month ORDER BY month'),
  app('report: join', 'SELECT c.name, COUNT(o.id) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id HAVING COUNT(o.id) > 5'),
  app('literal that looks like DDL', "SELECT 'drop table orders' AS note"),
  migration('laravel migration', 'create table `invoices` (`id` bigint unsigned not null auto_increment primary key, `order_id` bigint unsigned not null)'),
  migration('laravel migration', 'alter table `invoices` add index `invoices_order_id_index`(`order_id`)'),
  migration('cleanup', 'drop table if exists `tmp_import`', 'dev'),
];

export const MSSQL_ORDINARY: readonly OrdinaryStatement[] = [
  app('ef core select', 'SELECT TOP(1) [u].[Id], [u].[Email] FROM [Users] AS [u] WHERE [u].[Email] = @__email_0'),
  app('ef core paging', 'SELECT [o].[Id], [o].[Total] FROM [Orders] AS [o] ORDER BY [o].[Created] DESC OFFSET @__p_0 ROWS FETCH NEXT @__p_1 ROWS ONLY'),
  app('ef core insert', 'SET NOCOUNT ON; INSERT INTO [Orders] ([CustomerId], [Total]) OUTPUT INSERTED.[Id] VALUES (@p0, @p1);'),
  app('ef core update', 'SET NOCOUNT ON; UPDATE [Orders] SET [Total] = @p0 WHERE [Id] = @p1; SELECT @@ROWCOUNT;'),
  app('ef core delete', 'SET NOCOUNT ON; DELETE FROM [CartItems] WHERE [Id] = @p0; SELECT @@ROWCOUNT;'),
  app('dapper', 'SELECT * FROM dbo.Customers WHERE Region = @Region'),
  app('transaction', 'BEGIN TRANSACTION'),
  app('transaction', 'COMMIT TRANSACTION'),
  app('report', 'SELECT YEAR(Created) AS y, MONTH(Created) AS m, SUM(Total) AS revenue FROM dbo.Orders GROUP BY YEAR(Created), MONTH(Created) ORDER BY y, m'),
  app('report: window', 'SELECT CustomerId, Total, ROW_NUMBER() OVER (PARTITION BY CustomerId ORDER BY Total DESC) AS rn FROM dbo.Orders'),
  app('literal that looks like DDL', "SELECT 'DROP TABLE orders' AS note"),
  migration('ef migration', 'CREATE TABLE [Invoices] ([Id] int NOT NULL IDENTITY, [OrderId] int NOT NULL, CONSTRAINT [PK_Invoices] PRIMARY KEY ([Id]))'),
  migration('ef migration', 'ALTER TABLE [Orders] ADD [Note] nvarchar(max) NULL'),
  migration('cleanup', 'DROP TABLE IF EXISTS [TmpImport]', 'dev'),
];

export const ORDINARY: Readonly<Record<'postgres' | 'mysql' | 'mssql', readonly OrdinaryStatement[]>> = {
  postgres: POSTGRES_ORDINARY,
  mysql: MYSQL_ORDINARY,
  mssql: MSSQL_ORDINARY,
};
