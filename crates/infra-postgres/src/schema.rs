//! Diesel's view of the tables in `migrations/`. Kept by hand in step with the migrations; the
//! migration tests fail when the two disagree.

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        password_hash -> Text,
        first_name -> Text,
        last_name -> Text,
        created_at -> Timestamptz,
        token_generation -> Int4,
        password_changed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        organizer_id -> Int8,
        name -> Text,
        description -> Text,
        date -> Date,
        location -> Text,
        ticket_limit -> Int4,
        price_cents -> Int8,
        seats_taken -> Int4,
        created_at -> Timestamptz,
        status -> Text,
        max_per_booking -> Int4,
        overtake_limit -> Int4,
        waiting -> Int4,
        seats_waiting -> Int4,
        offer_window_seconds -> Nullable<Int4>,
    }
}

diesel::table! {
    // The table's key is (event_id, id) (distribution-ready); `id` alone is unique too, and is
    // what Diesel's `find` needs.
    bookings (id) {
        id -> Int8,
        event_id -> Int8,
        user_id -> Int8,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        quantity -> Int4,
        overtaken -> Int4,
        offer_expires_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(bookings -> events (event_id));
diesel::joinable!(bookings -> users (user_id));
diesel::joinable!(events -> users (organizer_id));

diesel::allow_tables_to_appear_in_same_query!(users, events, bookings);
