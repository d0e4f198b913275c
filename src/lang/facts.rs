//! What the cross-kind lints learn about existing resources from AWS at plan time. Offline
//! (`validate`, `check`) there are none and the lints treat existing resources as unknown:
//! they neither warn about them nor count on them.

use std::collections::BTreeMap;

/// The live network facts of the existing subnets and VPCs a spec uses, keyed by AWS id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveFacts {
    pub subnets: BTreeMap<String, SubnetFacts>,
    pub vpcs: BTreeMap<String, VpcFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetFacts {
    /// The VPC's id.
    pub vpc: String,
    pub cidr_block: String,
    pub availability_zone: String,
    /// Its route table (its own association, else its VPC's main table) sends 0.0.0.0/0 to a
    /// NAT gateway.
    pub nat_route: bool,
    /// ... or to an internet gateway.
    pub internet_route: bool,
    /// An S3 gateway endpoint serves its route table.
    pub s3_gateway: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VpcFacts {
    pub dns_support: bool,
    pub dns_hostnames: bool,
}
