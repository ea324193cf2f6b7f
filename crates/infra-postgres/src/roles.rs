//! Least privilege: the service serves through a role that owns nothing and may only read and
//! write rows, and migrates through an owner role; neither may create roles or databases or act
//! as a superuser (who can run programs on the database's machine and read its files).
//!
//! [`provision`] is the SQL that sets this up on a database the caller administers as a
//! superuser; it is safe to run at every start. docs/OPERATIONS.md ("Database roles") gives the
//! same lines for an operator's own server.

use std::fmt::Write as _;

/// A role to create (or update) with a login password.
#[derive(Clone, PartialEq, Eq)]
pub struct Role<'a> {
    pub name: &'a str,
    pub password: &'a str,
}

impl std::fmt::Debug for Role<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Role").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The SQL that makes `owner` own `database` and everything in its `public` schema (including
/// what an earlier version created as the superuser), and lets `app` connect and read and write
/// rows of every table, present and future, and nothing else — but history, which it may only
/// read and add to (docs/ARCHITECTURE.md, "History").
#[must_use]
pub fn provision(database: &str, owner: &Role<'_>, app: &Role<'_>) -> String {
    let (db, own, app_name) = (identifier(database), identifier(owner.name), identifier(app.name));
    let mut sql = String::new();
    for role in [owner, app] {
        let _ = writeln!(
            sql,
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN CREATE ROLE {id} LOGIN; END IF; END $$;\n\
             ALTER ROLE {id} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {password};",
            name = literal(role.name),
            id = identifier(role.name),
            password = literal(role.password),
        );
    }
    let _ = write!(
        sql,
        "ALTER DATABASE {db} OWNER TO {own};
REVOKE ALL ON DATABASE {db} FROM PUBLIC;
GRANT CONNECT ON DATABASE {db} TO {app_name};
ALTER SCHEMA public OWNER TO {own};
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {app_name};
DO $$
DECLARE object record;
BEGIN
    FOR object IN
        SELECT format('ALTER %s %s OWNER TO {own}',
                      CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                     WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                      c.oid::regclass) AS statement
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
          AND c.relowner <> {own_literal}::regrole
          AND NOT (c.relkind = 'S' AND EXISTS (
              SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
    LOOP
        EXECUTE object.statement;
    END LOOP;
    FOR object IN
        SELECT format('ALTER FUNCTION %s OWNER TO {own}', p.oid::regprocedure) AS statement
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.proowner <> {own_literal}::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE object.statement;
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app_name};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_name};
ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_name};
ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app_name};
DO $$ BEGIN
    IF to_regclass('public.history') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON history FROM {app_name};
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON history_archive FROM {app_name};
    END IF;
END $$;
",
        own_literal = literal(owner.name),
    );
    sql
}

/// A double-quoted identifier.
fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A single-quoted string literal (standard_conforming_strings is on since PostgreSQL 9.1).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_are_quoted_so_no_text_can_end_a_statement() {
        let sql = provision(
            "ticket\"ing",
            &Role { name: "own'er", password: "pa'ss" },
            &Role { name: "app", password: "x" },
        );
        assert!(sql.contains("ALTER DATABASE \"ticket\"\"ing\" OWNER TO \"own'er\";"), "{sql}");
        assert!(sql.contains("PASSWORD 'pa''ss';"), "{sql}");
        assert!(sql.contains("rolname = 'own''er'"), "{sql}");
    }

    #[test]
    fn the_app_role_gets_rows_only() {
        let sql =
            provision("db", &Role { name: "owner", password: "a" }, &Role { name: "app", password: "b" });
        assert!(sql.contains("NOSUPERUSER NOCREATEDB NOCREATEROLE"));
        assert!(!sql.contains("GRANT ALL"));
        assert!(
            sql.contains("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"app\"")
        );
        let grant = sql.find("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES").unwrap();
        let revoke = sql.find("REVOKE UPDATE, DELETE, TRUNCATE ON history FROM \"app\"").unwrap();
        assert!(sql.contains("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON history_archive FROM \"app\""));
        assert!(revoke > grant, "history's edits are taken back after every table's are granted");
    }
}
