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
//!     type Gate = infra_memory::Gate;
//!     async fn setup() -> (Self::Store, ()) {
//!         (infra_memory::MemoryStore::new(), ())
//!     }
//!
//!     fn unreachable() -> Option<Self::Store> {
//!         None // its storage is itself
//!     }
//!
//!     fn another(store: &Self::Store, _: &()) -> Self::Store {
//!         store.clone() // clones share the tables
//!     }
//!
//!     fn gate(store: &Self::Store, _: &()) -> Self::Gate {
//!         store.gate() // the adapter's test-only hook
//!     }
//! }
//!
//! domain_contract::contract_tests!(Memory);
//! ```
//!
//! The concurrency checks spawn tasks on a multi-threaded runtime and recount the invariants
//! through the ports afterwards ([`invariants`]): an adapter whose guard does not serialise an
//! event's changes fails them. Races left to the scheduler may happen to serialise anyway, so
//! the checks of [`guard`] force the interleaving that matters through the adapter's [`Gate`]:
//! one change held between its decision and its write while another comes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test suite: a broken promise is a failed assertion"
)]

pub mod catalog;
pub mod fixtures;
pub mod groups;
pub mod guard;
pub mod health;
pub mod history;
pub mod idempotency;
pub mod invariants;
mod latch;
pub mod model;
pub mod notifications;
pub mod offers;
pub mod rooms;
pub mod sales;
pub mod sessions;
pub mod users;
pub mod webhooks;

pub use latch::Latch;

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

    /// A second instance on the same storage, as another server process would be: it shares
    /// the data, and nothing an instance keeps in its own memory (the PostgreSQL adapter's
    /// group-commit lanes).
    fn another(store: &Self::Store, keep: &Self::Keep) -> Self::Store;

    /// The store's gate: its hook between a change's decision and its write, compiled for
    /// tests only.
    fn gate(store: &Self::Store, keep: &Self::Keep) -> Self::Gate;

    /// How the adapter holds a change between its decision and its write.
    type Gate: Gate;
}

/// A hook inside an adapter's changes of an event's seats and line (a booking that is not the
/// one-statement fast path, a cancel, a change of the event or of a booking's quantity): while
/// closed, each change that has decided — holding the event's guard, if the adapter's guard
/// works — waits there before it writes. What the guard checks of [`guard`] use to make a
/// second change come while the first is between its decision and its write, every time.
pub trait Gate: Send + Sync + 'static {
    /// From now on, changes wait after their decision.
    fn close(&self);
    /// Lets every waiting change, and every later one, through.
    fn open(&self);
    /// How many changes wait at the gate now.
    fn parked(&self) -> usize;
    /// Whether some change of the store waits for an event's guard now.
    fn someone_waits_for_a_guard(&self) -> impl Future<Output = bool> + Send;
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
            groups::a_group_is_confirmed_whole_or_waits_whole,
            groups::quantities_beyond_the_events_maximum_or_limit_are_refused,
            groups::first_come_first_served_holds_the_seats_for_the_head,
            groups::an_overtake_limit_lets_later_bookings_pass_that_often_and_no_more,
            groups::a_waiting_booking_lowers_in_place_and_raises_to_the_back,
            groups::quantity_changes_are_refused_and_change_nothing,
            groups::a_limit_below_a_waiting_group_is_allowed_and_it_waits_for_more,
            groups::concurrent_groups_and_cancels_keep_every_invariant,
            guard::a_cancel_held_between_decision_and_write_keeps_another_cancel_out,
            guard::a_booking_held_between_decision_and_write_keeps_a_cancel_out,
            guard::a_raise_held_between_decision_and_write_keeps_a_cancel_out,
            model::random_sequences_of_groups_cancels_and_changes_follow_the_rules,
            offers::a_freed_seat_is_offered_to_the_head_and_held_until_accepted,
            offers::a_declined_offer_passes_the_seats_on_at_once,
            offers::a_group_is_offered_only_when_its_whole_quantity_is_free,
            offers::a_lapsed_offer_reads_expired_and_the_next_write_passes_it_on,
            offers::sweepers_pass_lapsed_offers_on_once_between_them,
            offers::a_raise_offers_several_at_once_with_one_deadline,
            offers::a_decline_held_between_decision_and_write_keeps_a_cancel_out,
            offers::an_accept_and_a_decline_at_once_never_both_succeed,
            offers::a_holder_whose_offer_lapsed_may_book_again,
            offers::an_event_that_has_started_confirms_instead_of_offering,
            offers::moving_the_event_to_today_ends_its_open_offers,
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
            history::every_change_writes_one_entry_per_booking_it_touches_in_order,
            history::a_refused_change_writes_no_history,
            history::a_change_records_the_request_that_made_it,
            history::answers_to_offers_and_quantity_changes_are_recorded,
            history::an_events_history_pages_newest_first_and_filters_by_action,
            rooms::joins_from_several_instances_take_places_one_to_n_once_each,
            rooms::a_join_held_between_numbering_and_writing_keeps_other_joins_out,
            rooms::a_join_answered_before_another_is_sent_has_the_lower_place,
            rooms::a_shuffled_rooms_early_arrivals_are_numbered_once_by_a_draw_at_the_start,
            rooms::joins_are_refused_before_the_room_opens_and_where_there_is_none,
            rooms::a_token_is_claimed_only_for_a_reached_place_and_its_mark_holds,
            rooms::settings_change_before_the_start_and_a_change_moves_the_count_on,
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
