//! AWS facts envc checks against: the region codes, and each service's naming
//! limits. Pure data and pure predicates; the rules stage decides where to
//! report a violation.

/// Commercial, GovCloud and China regions known to envc.
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// The name AWS gives a region in its console (`eu-west-1` → `Europe (Ireland)`).
pub fn region_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "af-south-1" => "Africa (Cape Town)",
        "ap-east-1" => "Asia Pacific (Hong Kong)",
        "ap-east-2" => "Asia Pacific (Taipei)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-northeast-3" => "Asia Pacific (Osaka)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ap-south-2" => "Asia Pacific (Hyderabad)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-southeast-3" => "Asia Pacific (Jakarta)",
        "ap-southeast-4" => "Asia Pacific (Melbourne)",
        "ap-southeast-5" => "Asia Pacific (Malaysia)",
        "ap-southeast-6" => "Asia Pacific (New Zealand)",
        "ap-southeast-7" => "Asia Pacific (Thailand)",
        "ca-central-1" => "Canada (Central)",
        "ca-west-1" => "Canada West (Calgary)",
        "cn-north-1" => "China (Beijing)",
        "cn-northwest-1" => "China (Ningxia)",
        "eu-central-1" => "Europe (Frankfurt)",
        "eu-central-2" => "Europe (Zurich)",
        "eu-north-1" => "Europe (Stockholm)",
        "eu-south-1" => "Europe (Milan)",
        "eu-south-2" => "Europe (Spain)",
        "eu-west-1" => "Europe (Ireland)",
        "eu-west-2" => "Europe (London)",
        "eu-west-3" => "Europe (Paris)",
        "il-central-1" => "Israel (Tel Aviv)",
        "me-central-1" => "Middle East (UAE)",
        "me-south-1" => "Middle East (Bahrain)",
        "mx-central-1" => "Mexico (Central)",
        "sa-east-1" => "South America (São Paulo)",
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-gov-east-1" => "AWS GovCloud (US-East)",
        "us-gov-west-1" => "AWS GovCloud (US-West)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        _ => return None,
    })
}

pub fn is_region(code: &str) -> bool {
    REGIONS.binary_search(&code).is_ok()
}

/// The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A kind of generated AWS name, each with its service's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    DynamoDbTable,
    IamRole,
    IamPolicy,
    S3Bucket,
    LogGroup,
    SnsTopic,
    Alarm,
    KmsAlias,
    SsmParameter,
    ApiGateway,
    CognitoPool,
}

impl NameKind {
    pub fn describe(self) -> &'static str {
        match self {
            NameKind::DynamoDbTable => "DynamoDB table name",
            NameKind::IamRole => "IAM role name",
            NameKind::IamPolicy => "IAM policy name",
            NameKind::S3Bucket => "S3 bucket name",
            NameKind::LogGroup => "CloudWatch log group name",
            NameKind::SnsTopic => "SNS topic name",
            NameKind::Alarm => "CloudWatch alarm name",
            NameKind::KmsAlias => "KMS alias",
            NameKind::SsmParameter => "SSM parameter name",
            NameKind::ApiGateway => "API Gateway name",
            NameKind::CognitoPool => "Cognito user pool name",
        }
    }
}

/// Why a name breaks its service's rules, or `None` when it is fine.
pub fn check_name(kind: NameKind, name: &str) -> Option<String> {
    let len = name.chars().count();
    let chars_ok = |extra: &str| {
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    match kind {
        NameKind::DynamoDbTable => {
            if !(3..=255).contains(&len) {
                return Some(format!("must be 3 to 255 characters long, is {len}"));
            }
            (!chars_ok("_.-")).then(|| "may contain only letters, digits, `_`, `-` and `.`".into())
        }
        NameKind::IamRole | NameKind::IamPolicy => {
            let max = if kind == NameKind::IamRole { 64 } else { 128 };
            if len == 0 || len > max {
                return Some(format!("must be 1 to {max} characters long, is {len}"));
            }
            (!chars_ok("+=,.@_-")).then(|| "may contain only letters, digits and `+=,.@_-`".into())
        }
        NameKind::S3Bucket => {
            if !(3..=63).contains(&len) {
                return Some(format!("must be 3 to 63 characters long, is {len}"));
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            {
                return Some("may contain only lowercase letters, digits, `-` and `.`".into());
            }
            let first = name.chars().next().unwrap_or('-');
            let last = name.chars().last().unwrap_or('-');
            if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
                return Some("must begin and end with a letter or digit".into());
            }
            if name.contains("..")
                || name.starts_with("xn--")
                || name.starts_with("sthree-")
                || name.ends_with("-s3alias")
                || name.ends_with("--ol-s3")
            {
                return Some(
                    "uses a form S3 reserves (`..`, `xn--`, `sthree-`, `-s3alias`, `--ol-s3`)"
                        .into(),
                );
            }
            (name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()))
                .then(|| "must not look like an IP address".into())
        }
        NameKind::LogGroup => {
            if len == 0 || len > 512 {
                return Some(format!("must be 1 to 512 characters long, is {len}"));
            }
            (!chars_ok("_-/.#")).then(|| "may contain only letters, digits and `_-/.#`".into())
        }
        NameKind::SnsTopic => {
            if len == 0 || len > 256 {
                return Some(format!("must be 1 to 256 characters long, is {len}"));
            }
            (!chars_ok("_-")).then(|| "may contain only letters, digits, `_` and `-`".into())
        }
        NameKind::Alarm => {
            (len == 0 || len > 255).then(|| format!("must be 1 to 255 characters long, is {len}"))
        }
        NameKind::KmsAlias => {
            if len > 256 {
                return Some(format!("must be at most 256 characters long, is {len}"));
            }
            (!chars_ok("/_-")).then(|| "may contain only letters, digits and `/_-`".into())
        }
        NameKind::SsmParameter => {
            if len > 1011 {
                return Some(format!("must be at most 1011 characters long, is {len}"));
            }
            (!chars_ok("_.-/")).then(|| "may contain only letters, digits and `_.-/`".into())
        }
        NameKind::ApiGateway => {
            (len == 0 || len > 1024).then(|| format!("must be 1 to 1024 characters long, is {len}"))
        }
        NameKind::CognitoPool => {
            if len == 0 || len > 128 {
                return Some(format!("must be 1 to 128 characters long, is {len}"));
            }
            (!chars_ok("_-+=,.@ "))
                .then(|| "may contain only letters, digits and `_-+=,.@ `".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_has_a_name() {
        for r in REGIONS {
            assert!(region_name(r).is_some(), "{r}");
        }
        assert_eq!(region_name("eu-west-1"), Some("Europe (Ireland)"));
        assert_eq!(region_name("eu-west-9"), None);
    }

    #[test]
    fn regions_are_sorted_for_binary_search() {
        let mut sorted = REGIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, REGIONS);
        assert!(is_region("af-south-1"));
        assert!(!is_region("eu-west-9"));
    }

    #[test]
    fn name_rules() {
        let cases: &[(NameKind, &str, bool)] = &[
            (NameKind::S3Bucket, "am-prod-audit-af-south-1", true),
            (NameKind::S3Bucket, "Am-prod", false),
            (NameKind::S3Bucket, "ab", false),
            (NameKind::S3Bucket, &"a".repeat(64), false),
            (NameKind::S3Bucket, "a..b", false),
            (NameKind::S3Bucket, "192.168.1.1", false),
            (NameKind::S3Bucket, "bucket-", false),
            (NameKind::IamRole, &"r".repeat(64), true),
            (NameKind::IamRole, &"r".repeat(65), false),
            (NameKind::DynamoDbTable, "am-dev-users", true),
            (NameKind::DynamoDbTable, "am dev", false),
            (NameKind::SnsTopic, "am-dev-alerts", true),
            (NameKind::SnsTopic, "am.dev", false),
            (NameKind::LogGroup, "/aws/lambda/am-dev-x", true),
        ];
        for (kind, name, ok) in cases {
            assert_eq!(check_name(*kind, name).is_none(), *ok, "{kind:?} {name}");
        }
    }
}
