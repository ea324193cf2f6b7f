use super::{
    Audit, Catalog, Idempotency, Notifications, RequestScoped, Rooms, Sales, Sessions, StoreHealth, Users,
    Webhooks,
};

/// Every store port on one cloneable type: what an application runs on, and what the
/// `domain-contract` suite checks. Implemented for every type that has them all, so an adapter
/// implements the ports and nothing else; a new store port is added here once.
pub trait Store:
    Sales
    + Catalog
    + Users
    + Sessions
    + Idempotency
    + Notifications
    + Webhooks
    + StoreHealth
    + Audit
    + RequestScoped
    + Rooms
    + Clone
{
}

impl<T> Store for T where
    T: Sales
        + Catalog
        + Users
        + Sessions
        + Idempotency
        + Notifications
        + Webhooks
        + StoreHealth
        + Audit
        + RequestScoped
        + Rooms
        + Clone
{
}
