//! The catalog contract: what every [`strata_catalog::Catalog`] must do, checked on each
//! backend. Every case is written once, in a module below, and the [`contract!`] list turns it
//! into two tests, `sqlite::CASE` on a new SQLite file and `postgres::CASE` on a new database
//! of the server named by `STRATA_TEST_POSTGRES_URL` (see `fixture.rs`; without that variable
//! the PostgreSQL tests are skipped, or fail when `CI` is set).
//!
//! Run one backend with e.g. `cargo nextest run -p strata-catalog -E 'test(/^postgres::/)'`.

mod audit;
mod concurrency;
mod databases;
mod fixture;
mod identity;
mod schema;
mod support;
mod tables;
mod tokens;

/// Generates `sqlite::CASE` and `postgres::CASE` for every `module::CASE(how)`, where `how` is
/// `catalog` for a case taking `&dyn Catalog` or `fixture` for one taking `&Fixture`.
macro_rules! contract {
    (@run catalog, $fixture:ident, $case:path) => {
        $case($fixture.catalog()).await
    };
    (@run fixture, $fixture:ident, $case:path) => {
        $case(&$fixture).await
    };
    ($($module:ident :: $case:ident ($how:ident)),* $(,)?) => {
        /// The contract on SQLite, each case on a new catalog file.
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = crate::fixture::Fixture::sqlite().await;
                    contract!(@run $how, fixture, crate::$module::$case);
                    fixture.finish().await;
                }
            )*
        }

        /// The contract on PostgreSQL, each case in a new database.
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(fixture) = crate::fixture::Fixture::postgres().await else {
                        return;
                    };
                    contract!(@run $how, fixture, crate::$module::$case);
                    fixture.finish().await;
                }
            )*
        }
    };
}

contract! {
    identity::identity_is_created_once_and_stable_across_reopen(fixture),
    identity::list_clusters_returns_the_one_cluster(catalog),
    identity::users_are_created_listed_and_unique_by_email(catalog),
    identity::users_are_listed_by_email_bytewise(catalog),
    identity::settings_are_claimed_once(catalog),
    identity::users_are_found_updated_and_removed(catalog),
    identity::signing_keys_are_listed_until_retired(catalog),
    identity::device_authorizations_are_polled_decided_and_deleted(catalog),

    databases::database_create_returns_id_and_settings(catalog),
    databases::database_duplicate_active_name_conflicts(catalog),
    databases::database_list_filters_by_status(catalog),
    databases::database_get_finds_only_active_databases(catalog),
    databases::database_update_changes_only_given_fields(catalog),
    databases::database_delete_is_soft_and_undelete_needs_the_name_free(catalog),
    databases::database_undelete_outside_the_window_is_not_found(catalog),
    databases::database_undelete_of_an_active_database_conflicts(catalog),
    databases::database_rename_keeps_the_id_and_refuses_taken_names(catalog),
    databases::database_and_table_lists_sort_names_bytewise(catalog),

    tables::table_create_and_duplicate(catalog),
    tables::table_limit_counts_active_tables_only(catalog),
    tables::table_list_filters_by_status(catalog),
    tables::table_delete_rename_and_undelete(catalog),
    tables::tables_of_an_unknown_or_deleted_database_are_not_found(catalog),

    tokens::database_token_create_get_and_list(catalog),
    tokens::database_token_update_changes_only_given_fields(catalog),
    tokens::database_token_revoke_hides_it_and_is_not_repeatable(catalog),
    tokens::token_duplicate_hash_or_id_conflicts(catalog),
    tokens::management_token_create_list_get_revoke(catalog),
    tokens::record_token_use_sets_last_used_at(catalog),
    tokens::token_changes_since_returns_what_changed(catalog),
    tokens::last_used_never_goes_back(catalog),
    tokens::a_node_behind_a_pruned_feed_reloads_every_token(catalog),
    tokens::permissions_stored_by_name_are_bound_to_their_database(fixture),

    schema::schema_of_a_new_database_has_no_tables(catalog),
    schema::add_columns_creates_the_table_and_keeps_column_order(catalog),
    schema::add_columns_again_changes_nothing(catalog),
    schema::a_column_type_conflict_adds_nothing(catalog),
    schema::the_column_limit_counts_every_column_and_adds_nothing_beyond_it(catalog),
    schema::add_columns_respects_the_table_limit(catalog),
    schema::add_columns_to_an_unknown_or_deleted_database_is_not_found(catalog),
    schema::tables_keep_their_columns_when_renamed_deleted_and_restored(catalog),
    schema::concurrent_add_columns_agree_on_each_type(catalog),
    schema::parquet_files_are_added_listed_and_deleted(catalog),
    schema::compaction_replaces_files_in_one_transaction(catalog),
    schema::uploads_are_ended_by_registering_their_files(catalog),

    audit::audit_lists_newest_first_with_filters_and_pages(catalog),
    audit::audit_entries_older_than_the_retention_are_pruned(catalog),

    concurrency::nodes_opening_a_new_catalog_together_share_one_identity(fixture),
    concurrency::concurrent_creates_of_one_database_name_leave_one(catalog),
    concurrency::concurrent_table_creates_respect_the_table_limit(catalog),
    concurrency::concurrent_creates_of_one_table_name_leave_one(catalog),
    concurrency::concurrent_revokes_of_one_token_succeed_once(catalog),
    concurrency::concurrent_changes_never_leave_no_admin(catalog),
}
