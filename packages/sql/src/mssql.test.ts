// SQL Server (T-SQL) analysis, table-driven: kinds, tables, WHERE/LIMIT, functions, dynamic SQL, and bypass attempts.
import type { SqlParser } from '@sluice/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSqlParser } from './index.js';
import { c, checkCase, type Case } from './testing/cases.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await createSqlParser('mssql');
});

const statements: Case[] = [
  c('select top with brackets', 'SELECT TOP(1) [u].[Id], [u].[Email] FROM [dbo].[Users] AS [u] WHERE [u].[Email] = @__email_0', {
    kind: 'select', kinds: ['select'], tables: ['read:dbo.Users'], columns: ['read:dbo.Users.Id', 'read:dbo.Users.Email'], hasLimit: true, functions: [],
  }),
  c('paging with parameters', 'SELECT [o].[Id] FROM [Orders] AS [o] ORDER BY [o].[Id] OFFSET @p1 ROWS FETCH NEXT @p2 ROWS ONLY', {
    kind: 'select', kinds: ['select'], tables: ['read:Orders'], hasLimit: true,
  }),
  c('EF Core insert with OUTPUT', 'SET NOCOUNT ON; INSERT INTO [Posts] ([AuthorId], [Title]) OUTPUT INSERTED.[Id] VALUES (@p0, @p1);', [
    { kind: 'set', kinds: ['set'], functions: [] },
    { kind: 'insert', kinds: ['insert'], tables: ['write:Posts'], columns: ['write:Posts.AuthorId', 'write:Posts.Title'] },
  ]),
  c('OUTPUT INTO a table writes it', 'DELETE FROM dbo.Sessions OUTPUT deleted.Id INTO dbo.SessionLog (Id) WHERE Expires < GETDATE()', {
    kind: 'delete', kinds: ['delete'], tables: ['write:dbo.Sessions', 'write:dbo.SessionLog'], hasWhere: true,
  }),
  c('update with WHERE', 'UPDATE [Users] SET [LastLogin] = @p0 WHERE [Id] = @p1', { kind: 'update', tables: ['write:Users'], columns: ['write:Users.LastLogin'], hasWhere: true }),
  c('update without WHERE', 'UPDATE dbo.Users SET IsAdmin = 1', { kind: 'update', hasWhere: false }),
  c('update through a FROM alias', 'UPDATE u SET u.Name = o.Name FROM dbo.Users u JOIN dbo.Orders o ON o.UserId = u.Id WHERE o.Id = 1', {
    kind: 'update', tables: ['write:dbo.Users', 'read:dbo.Orders'], hasWhere: true,
  }),
  c('delete WHERE 1=1 does not restrict', 'DELETE FROM dbo.Sessions WHERE 1 = 1', { kind: 'delete', hasWhere: false }),
  c('delete top', 'DELETE TOP (5) FROM dbo.Jobs WHERE State = 1', { kind: 'delete', tables: ['write:dbo.Jobs'], hasWhere: true }),
  c('select into creates a table', 'SELECT * INTO #recent FROM dbo.Orders', { kind: 'select', kinds: ['select', 'create'], tables: ['write:#recent', 'read:dbo.Orders'] }),
  c('merge', 'MERGE INTO dbo.Inventory AS t USING dbo.Incoming AS s ON t.Sku = s.Sku WHEN MATCHED THEN UPDATE SET t.Qty = s.Qty WHEN NOT MATCHED THEN INSERT (Sku, Qty) VALUES (s.Sku, s.Qty) WHEN NOT MATCHED BY SOURCE THEN DELETE;', {
    kind: 'merge', kinds: ['merge', 'update', 'insert', 'delete'], tables: ['write:dbo.Inventory', 'read:dbo.Incoming'],
    columns: ['write:dbo.Inventory.Qty', 'write:dbo.Inventory.Sku', 'read:dbo.Incoming.Qty'], hasWhere: null,
  }),
  c('EF Core batched insert through MERGE', 'MERGE [Posts] USING (VALUES (@p0, @p1, 0), (@p2, @p3, 1)) AS i ([BlogId], [Title], _Position) ON 1=0 WHEN NOT MATCHED THEN INSERT ([BlogId], [Title]) VALUES (i.[BlogId], i.[Title]) OUTPUT INSERTED.[PostId], i._Position;', {
    kind: 'merge', kinds: ['merge', 'insert'], tables: ['write:Posts'], columns: ['write:Posts.BlogId', 'write:Posts.Title'],
  }),
  c('MERGE from a subquery', 'MERGE INTO dbo.t AS t USING (SELECT Id, Qty FROM dbo.s) AS s ON t.Id = s.Id WHEN MATCHED AND s.Qty > 0 THEN UPDATE SET Qty = s.Qty;', {
    kind: 'merge', kinds: ['merge', 'update'], tables: ['write:dbo.t', 'read:dbo.s'],
  }),
  c('MERGE with a subquery in a value is left to the tokens', 'MERGE t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT (a) VALUES ((SELECT secret FROM payroll))', {
    kind: 'merge', kinds: ['merge', 'insert', 'unknown'], tables: ['write:t', 'read:s', 'read:payroll'],
  }),
  c('EF Core ExecuteDelete', 'DELETE FROM [b] FROM [Blogs] AS [b] WHERE [b].[Rating] < 3', { kind: 'delete', kinds: ['delete'], tables: ['write:Blogs'], hasWhere: true }),
  c('Hibernate FETCH FIRST', 'select o1_0.id from orders o1_0 order by o1_0.id offset @P0 rows fetch first @P1 rows only', { kind: 'select', kinds: ['select'], hasLimit: true }),
  c('NEXT VALUE FOR advances a sequence', 'select next value for orders_seq', { kind: 'select', kinds: ['select'], functions: ['next value for'] }),
  c('@@ROWCOUNT with an alias', 'SELECT @@ROWCOUNT AS AFFECTEDROWS', { kind: 'select', kinds: ['select'] }),
  c('create table', 'CREATE TABLE [Accounts] ([Id] int NOT NULL IDENTITY, [Email] nvarchar(256) NOT NULL)', { kind: 'create', tables: ['write:Accounts'] }),
  c('alter table (fallback, complete)', 'ALTER TABLE [Orders] ADD CONSTRAINT [FK] FOREIGN KEY ([CustomerId]) REFERENCES [Customers] ([Id]) ON DELETE CASCADE', {
    kind: 'alter', kinds: ['alter'], tables: ['write:Orders'],
  }),
  c('drop', 'DROP TABLE IF EXISTS dbo.TmpImport', { kind: 'drop', tables: ['write:dbo.TmpImport'] }),
  c('truncate', 'TRUNCATE TABLE dbo.Staging', { kind: 'truncate', tables: ['write:dbo.Staging'] }),
  c('grant', 'GRANT SELECT ON dbo.Orders TO reporting', { kind: 'grant', kinds: ['grant'], tables: ['write:dbo.Orders'] }),
  c('deny', 'DENY DELETE ON dbo.Orders TO app', { kind: 'grant', kinds: ['grant'] }),
  c('revoke', 'REVOKE SELECT ON dbo.Orders FROM reporting', { kind: 'revoke', kinds: ['revoke'] }),
  c('set', 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED', { kind: 'set', kinds: ['set'] }),
  c('declare then select', 'DECLARE @id int = 5; SELECT * FROM dbo.Users WHERE Id = @id', [{ kind: 'set' }, { kind: 'select', tables: ['read:dbo.Users'] }]),
  c('use', 'USE [AppDb]', { kind: 'set' }),
  c('transactions', 'BEGIN TRANSACTION; SAVE TRANSACTION a; COMMIT', [{ kind: 'transaction' }, { kind: 'transaction' }, { kind: 'transaction' }]),
  c('procedure call', 'EXEC dbo.ArchiveOrders @cutoff = @p0', { kind: 'call', kinds: ['call'], functions: ['dbo.archiveorders'] }),
  c('procedure call with a return value', 'EXEC @rc = dbo.Cleanup', { kind: 'call', functions: ['dbo.cleanup'] }),
  c('impersonation', "EXECUTE AS USER = 'dbo'", { kind: 'set', kinds: ['set'] }),
  c('IF ... DROP', 'IF EXISTS (SELECT 1 FROM dbo.t) DROP TABLE dbo.t', { kind: 'block', kinds: ['block', 'drop'], tables: ['read:dbo.t', 'write:dbo.t'] }),
  c('TRY/CATCH block: each statement inside is read', 'BEGIN TRY DELETE FROM dbo.t WHERE id = 1; END TRY BEGIN CATCH SELECT 1; END CATCH', {
    kind: 'block', kinds: ['block', 'delete', 'select'], tables: ['write:dbo.t'], hasWhere: true,
  }),
  c('EF Core idempotent migration block', "IF NOT EXISTS (SELECT * FROM [__EFMigrationsHistory] WHERE [MigrationId] = N'20240101_Init') BEGIN CREATE TABLE [Foo] ([Id] int NOT NULL); END", {
    kind: 'block', kinds: ['block', 'create'], tables: ['read:__EFMigrationsHistory', 'write:Foo'],
  }),
  c('IF ... ELSE blocks', 'IF @x = 1 BEGIN UPDATE dbo.t SET a = 1 END ELSE BEGIN DELETE FROM dbo.t END', {
    kind: 'block', kinds: ['block', 'update', 'delete'], tables: ['write:dbo.t'], hasWhere: false,
  }),
  c('a block with a statement it cannot read', 'BEGIN EXEC(@sql) END', { kind: 'block', kinds: ['block', 'unknown'] }),
  c('WHILE block', 'WHILE EXISTS (SELECT 1 FROM dbo.Jobs) BEGIN DELETE TOP (100) FROM dbo.Jobs WHERE Done = 1 END', {
    kind: 'block', kinds: ['block', 'delete'], tables: ['read:dbo.Jobs', 'write:dbo.Jobs'], hasWhere: true,
  }),
  c('create procedure: the body runs to the end of the batch and is stored', 'CREATE PROCEDURE dbo.p AS DELETE FROM dbo.t; DROP TABLE dbo.x', {
    kind: 'create', kinds: ['create'], tables: [], text: 'CREATE PROCEDURE dbo.p AS DELETE FROM dbo.t; DROP TABLE dbo.x',
  }),
  c('create view', 'CREATE VIEW dbo.ActiveUsers AS SELECT * FROM dbo.Users WHERE DeletedAt IS NULL', { kind: 'create', kinds: ['create'], tables: ['write:dbo.ActiveUsers', 'read:dbo.Users'] }),
  c('bulk insert', "BULK INSERT dbo.Orders FROM 'C:\\data\\orders.csv'", { kind: 'copy', tables: ['write:dbo.Orders'], functionsInclude: ['bulk insert'] }),
  c('update statistics', 'UPDATE STATISTICS dbo.Orders', { kind: 'other', kinds: ['other'], tables: ['read:dbo.Orders'] }),
  c('locations', 'SELECT 1;\n  DELETE FROM t ;', [{ kind: 'select', text: 'SELECT 1' }, { kind: 'delete', text: 'DELETE FROM t' }]),
  c('empty string', '', []),
  c('unterminated quoted name', 'SELECT * FROM [dbo', { error: /unterminated quoted name/ }),
  c('unterminated nested comment', 'SELECT 1 /* a /* b */', { error: /unterminated comment/ }),
];

const bypasses: Case[] = [
  c('statements without semicolons', 'SELECT 1 DROP TABLE x', { kind: 'select', kinds: ['select', 'drop', 'unknown'], tables: ['write:x'] }),
  c('a read hidden after a delete', 'DELETE FROM t WHERE id = 1 SELECT * FROM secrets', {
    kind: 'delete', kinds: ['delete', 'unknown'], tables: ['write:t', 'read:secrets'], hasWhere: true,
  }),
  c('a delete hidden after a grant', 'GRANT SELECT ON t TO u DELETE FROM x', { kind: 'grant', kinds: ['grant', 'delete', 'unknown'], tables: ['write:t', 'write:x'], hasWhere: false }),
  c('comments around keywords', '/**/DROP/**/TABLE/**/[x]', { kind: 'drop', tables: ['write:x'] }),
  c('nested comments hide nothing', 'SELECT 1 /* outer /* inner */ ; DROP TABLE x */', { kind: 'select', kinds: ['select'], tables: [] }),
  c('nested comments end where the server ends them', '/* a /* b */ c */ DROP TABLE x', { kind: 'drop', tables: ['write:x'] }),
  c('brackets and quoted names', 'DrOp TaBlE [dbo].[Users], "App"."Log"', { kind: 'drop', tables: ['write:dbo.Users', 'write:App.Log'] }),
  c('several statements', 'SELECT 1; DELETE FROM t', [{ kind: 'select' }, { kind: 'delete', tables: ['write:t'], hasWhere: false }]),
  c('semicolon inside a string', "SELECT 'a'';DROP TABLE x;--'", { kind: 'select', kinds: ['select'], tables: [] }),
  c('a backslash is not an escape', "SELECT 'c:\\' , name FROM secrets --'", { kind: 'select', tables: ['read:secrets'] }),
  c('DML through a CTE', 'WITH c AS (SELECT * FROM dbo.t) DELETE FROM c WHERE a = 1', { kind: 'delete', kinds: ['delete', 'unknown'], hasWhere: true }),
  c('sp_executesql is dynamic SQL', "EXEC sp_executesql N'DELETE FROM dbo.Users'", {
    kind: 'unknown', kinds: ['unknown', 'delete'], tables: ['write:dbo.Users'], functionsInclude: ['sp_executesql'],
  }),
  c('EXEC of a variable is dynamic SQL', 'EXEC(@sql)', { kind: 'unknown', kinds: ['unknown'], tables: [] }),
  c('EXEC of a literal is dynamic SQL', "EXEC ('DROP ' + 'TABLE x')", { kind: 'unknown', kinds: ['unknown', 'drop'], tables: ['write:x'] }),
  c('EXEC of a procedure named by a variable', 'EXEC @proc', { kind: 'unknown', kinds: ['unknown'] }),
  c('dynamic SQL inside a batch', "SELECT 1 EXEC('TRUNCATE TABLE t')", { kind: 'select', kinds: ['select', 'unknown', 'truncate'], tables: ['write:t'] }),
  c('INSERT ... EXEC runs a procedure', 'INSERT INTO dbo.t EXEC dbo.p', { kind: 'insert', kinds: ['insert', 'call', 'unknown'], functionsInclude: ['dbo.p'] }),
  c('xp_cmdshell', "EXEC master..xp_cmdshell 'dir'", { kind: 'call', functions: ['master..xp_cmdshell'] }),
  c('xp_cmdshell spelled EXECUTE', "EXECUTE xp_cmdshell 'whoami'", { kind: 'call', functions: ['xp_cmdshell'] }),
  c('OPENROWSET reads files', "SELECT * FROM OPENROWSET(BULK 'C:\\secrets.txt', SINGLE_CLOB) AS x", { kind: 'select', functionsInclude: ['openrowset'] }),
  c('BACKUP writes a server file', "BACKUP DATABASE app TO DISK = 'c:\\x.bak'", { kind: 'other', functionsInclude: ['backup file'] }),
  c('RESTORE reads one', "RESTORE DATABASE app FROM DISK = 'c:\\x.bak' WITH REPLACE", { kind: 'other', functionsInclude: ['backup file'] }),
  c('CREATE ASSEMBLY loads code', "CREATE ASSEMBLY a FROM 'C:\\x.dll' WITH PERMISSION_SET = UNSAFE", { kind: 'create', functionsInclude: ['load library'] }),
  c('a statement after a block', 'BEGIN SELECT 1 END DROP TABLE x', { kind: 'block', kinds: ['block', 'drop', 'unknown'], tables: ['write:x'] }),
  c('a statement after a parenthesis', '(SELECT 1) DROP TABLE x', { kind: 'select', kinds: ['select', 'drop', 'unknown'], tables: ['write:x'] }),
  c('a statement hidden in a block condition', 'IF 1 = 1 DELETE FROM t BEGIN SELECT 1 END', { kind: 'block', kinds: ['block', 'delete', 'select', 'unknown'] }),
  c('UPDATE TOP (n) keeps its target', 'UPDATE TOP (10) payroll SET salary = 0 WHERE id > 0', { kind: 'update', tables: ['write:payroll'], hasWhere: true }),
  c('a WHERE on variables only does not restrict', 'DELETE FROM t WHERE @a = @a', { kind: 'delete', hasWhere: false }),
  c('a statement after SET ... ON', 'SET NOCOUNT ON DELETE FROM t', { kind: 'set', kinds: ['set', 'delete', 'unknown'], tables: ['write:t'], hasWhere: false }),
  c('SET STATISTICS XML ON runs what follows', 'SET STATISTICS XML ON UPDATE t SET a = 1 SET STATISTICS XML OFF', { kind: 'set', kinds: ['set', 'update', 'unknown'], hasWhere: false }),
  c('ON DELETE CASCADE stays a clause', 'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) ON DELETE CASCADE ON UPDATE NO ACTION', { kind: 'alter', kinds: ['alter'] }),
  c('sp_executesql with a named parameter', "EXECUTE sp_executesql @stmt = N'TRUNCATE TABLE t'", { kind: 'unknown', kinds: ['unknown', 'truncate'], tables: ['write:t'] }),
  c('sp_prepexec is dynamic SQL', "EXEC sp_prepexec @h OUTPUT, NULL, N'DELETE FROM t'", { kind: 'unknown', kinds: ['unknown', 'delete'], tables: ['write:t'], hasWhere: false }),
  c('sp_prepare is dynamic SQL', "EXEC sp_prepare @h OUTPUT, N'@a int', N'DROP TABLE t'", { kind: 'unknown', kinds: ['unknown', 'drop'], tables: ['write:t'] }),
  c('sp_execute runs a handle this string does not show', 'EXEC sp_execute 1', { kind: 'unknown', kinds: ['unknown'] }),
  c('a bare procedure call first in a batch', "xp_cmdshell 'whoami'", { kind: 'unknown', kinds: ['unknown'], functionsInclude: ['xp_cmdshell'] }),
  c('a bare sp_executesql first in a batch', "sp_executesql N'DROP TABLE t'", { kind: 'unknown', kinds: ['unknown', 'drop'], tables: ['write:t'] }),
  c('impersonation hidden in a batch', "SELECT 1 EXECUTE AS LOGIN = 'sa' DROP TABLE x", { kind: 'select', kinds: ['select', 'set', 'drop', 'unknown'] }),
];

describe('mssql analysis', () => {
  it('names its dialect', () => {
    expect(parser.dialect).toBe('mssql');
  });
  it.each(statements.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    checkCase(parser.parse(testCase.sql), testCase);
  });
});

describe('mssql bypass attempts', () => {
  it.each(bypasses.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    checkCase(parser.parse(testCase.sql), testCase);
  });
});
