//! The promises written on the domain's store ports — each `MUST`, `MUST NOT` and `# Errors`
//! clause of [`domain::ports`] — as async checks any adapter runs against itself.
//!
//! An adapter's test crate names its adapter once and gets every check as a test of its own,
//! the same list of names for every adapter:
//!
//! ```ignore
//! struct Memory;
//!
//! impl domain_contract::Adapter for Memory {
//!     type Store = infra_memory::MemoryStore;
//!     type Keep = ();
//!     async fn setup() -> (Self::Store, ()) {
//!         (infra_memory::MemoryStore::new(), ())
//!     }
//!
//!     fn unreachable() -> Option<Self::Store> {
//!         None // its storage is itself
//!     }
//! }
//!
//! domain_contract::contract_tests!(Memory);
//! ```
//!
//! The concurrency checks spawn tasks on a multi-threaded runtime and recount the invariants
//! through the ports afterwards ([`invariants`]): an adapter whose guard does not serialise an
//! event's changes fails them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test suite: a broken promise is a failed assertion"
)]

pub mod catalog;
pub mod fixtures;
pub mod health;
pub mod idempotency;
pub mod invariants;
pub mod model;
pub mod notifications;
pub mod sales;
pub mod sessions;
pub mod users;
pub mod webhooks;

use std::future::Future;

use domain::ports::Store;

/// An adapter under test: how to get a fresh, empty store.
pub trait Adapter: 'static {
    type Store: Store;
    /// What must live as long as the store (a test database, say).
    type Keep: Send;

    /// A fresh store that shares nothing with any other test's.
    fn setup() -> impl Future<Output = (Self::Store, Self::Keep)> + Send;

    /// A store of this kind that cannot reach its storage (a database nobody serves), whose
    /// ping must say so; `None` only for an adapter whose storage is itself (memory), which
    /// cannot be cut off.
    fn unreachable() -> Option<Self::Store>;
}

/// One test per check, for the adapter type given: `contract_tests!(Memory);`. The list is
/// the contract: every adapter runs the same names.
#[macro_export]
macro_rules! contract_tests {
    ($adapter:ty) => {
        $crate::contract_tests!(@each $adapter;
            sales::a_free_seat_is_confirmed_and_a_full_event_puts_bookers_in_line,
            sales::booking_refuses_an_unknown_event_or_user_and_a_cancelled_event,
            sales::a_second_live_booking_is_refused_and_writes_nothing,
            sales::concurrent_bookers_never_get_more_seats_than_the_limit,
            sales::concurrent_bookings_of_one_user_make_one_live_booking,
            sales::bookers_racing_the_cancel_of_the_last_seat_never_leave_it_free,
            sales::cancelling_a_seat_promotes_the_head_of_the_line,
            sales::cancelling_with_nobody_waiting_frees_the_seat,
            sales::cancelling_a_pending_booking_moves_the_line_up,
            sales::cancels_are_refused_for_unknown_foreign_or_cancelled_bookings,
            sales::the_organizer_may_cancel_any_booking_of_their_event,
            sales::concurrent_cancels_promote_the_line_in_order,
            sales::raising_the_limit_promotes_the_heads_of_the_line,
            sales::event_changes_are_refused_and_change_nothing,
            sales::every_field_can_change_and_the_rest_stay,
            sales::raises_and_bookings_at_once_keep_every_invariant,
            sales::calling_an_event_off_cancels_every_live_booking_and_stops_sales,
            sales::calling_an_event_off_is_refused_to_strangers_and_twice,
            model::random_sequences_of_bookings_cancels_and_limit_changes_follow_the_rules,
            catalog::an_event_needs_an_existing_organizer,
            catalog::an_unknown_event_is_not_found,
            catalog::events_are_listed_by_date_then_id_a_page_at_a_time,
            catalog::a_booking_is_read_with_its_organizer_and_place_in_line,
            catalog::a_users_bookings_come_newest_first,
            catalog::attendees_come_in_booking_order_a_page_at_a_time,
            users::an_email_address_has_one_account_even_when_registered_at_once,
            users::accounts_are_found_by_email_and_id,
            users::a_password_change_moves_the_token_generation_on,
            users::a_hash_upgrade_loses_to_a_password_change,
            idempotency::a_key_goes_to_one_attempt_at_a_time,
            idempotency::a_key_given_back_is_claimed_again_and_an_answered_one_replays,
            idempotency::a_key_whose_lease_ran_out_is_claimed_again,
            idempotency::every_effect_is_stored_with_it_as_it_was_returned,
            idempotency::a_replayed_webhook_creation_reads_its_secret_from_the_webhook,
            idempotency::an_effect_whose_attempt_lost_its_key_is_not_made,
            idempotency::old_keys_are_forgotten,
            sessions::a_logout_is_stored_announced_and_refused,
            sessions::a_password_change_is_announced_and_ends_the_older_tokens,
            sessions::an_unknown_user_is_admitted_nowhere,
            sessions::expired_logouts_are_forgotten_and_live_ones_kept,
            notifications::every_change_writes_its_notices_in_order,
            notifications::a_feed_holds_its_users_notices_between_bounds,
            notifications::a_watermark_starts_at_the_newest_and_moves_over_what_commits,
            notifications::a_cancel_wakes_a_listener,
            webhooks::a_webhook_filtered_by_event_is_only_for_its_organizer,
            webhooks::an_organizer_never_has_more_webhooks_than_the_cap_even_when_created_at_once,
            webhooks::a_notice_is_queued_once_for_every_matching_webhook_of_its_organizer_only,
            webhooks::concurrent_workers_never_claim_the_same_delivery,
            webhooks::a_lapsed_lease_is_claimed_again_and_the_late_result_is_ignored,
            webhooks::a_gone_receiver_disables_its_webhook_and_gets_nothing_more,
            webhooks::claims_hold_each_webhook_and_organizer_to_their_share_of_the_workers,
            webhooks::a_lapsed_lease_holds_no_share,
            webhooks::a_receiver_that_keeps_failing_is_paused_longer_each_time_until_a_delivery,
            webhooks::a_pause_gives_up_the_deliveries_past_the_retry_window,
            webhooks::old_attempts_settled_deliveries_and_notifications_are_forgotten_in_batches,
            health::a_store_answers_a_ping_only_while_it_reaches_its_storage,
        );
    };
    (@each $adapter:ty; $($module:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                $crate::$module::$check::<$adapter>().await;
            }
        )*
    };
}
