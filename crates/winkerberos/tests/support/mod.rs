pub mod realm;
