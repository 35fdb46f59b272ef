//! Reads that resolvers and REST handlers call: listing and finding records, with the
//! filters, orderings and keyset pagination they need. Resolvers never query entities
//! themselves, so each rule about what is read lives here once.

pub mod campaigns;
pub mod page;
pub mod users;
pub mod visibility;
