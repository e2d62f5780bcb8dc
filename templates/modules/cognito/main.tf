
# The `user-pool` of envc.kdl: one user pool (password policy and MFA from the
# project, advanced security and deletion protection from the environment's
# features) and one app client per `client` node. Public clients (browser,
# mobile) get no secret. Clients with callback URLs use the code flow, with
# the environment's URLs (var.callback_urls; the project's by default).
{% set pool = project.user_pool %}

resource "aws_cognito_user_pool" "this" {
  name = "${var.name_prefix}-users"
  username_attributes = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration = {{ pool.mfa }}
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  user_pool_tier = var.advanced_security ? "PLUS" : "ESSENTIALS"

  password_policy {
    minimum_length = {{ pool.password_min_length }}
    require_lowercase = true
    require_uppercase = true
    require_numbers = true
    require_symbols = true
    temporary_password_validity_days = 7
  }
{% if pool.mfa != "OFF" %}

  software_token_mfa_configuration {
    enabled = true
  }
{% endif %}

  account_recovery_setting {
    recovery_mechanism {
      name = "verified_email"
      priority = 1
    }
  }

  verification_message_template {
    default_email_option = "CONFIRM_WITH_CODE"
  }

  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  user_pool_add_ons {
    advanced_security_mode = var.advanced_security ? "ENFORCED" : "OFF"
  }
}
{% for c in pool.clients %}

resource "aws_cognito_user_pool_client" "{{ c.id | ident }}" {
  name = "${var.name_prefix}-{{ c.name | in_string }}"
  user_pool_id = aws_cognito_user_pool.this.id
  generate_secret = {{ not c.public }}
  explicit_auth_flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
{% if c.callback_urls %}
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows = ["code"]
  allowed_oauth_scopes = ["openid", "email", "profile"]
  callback_urls = var.callback_urls[{{ c.name }}]
{% endif %}
  supported_identity_providers = ["COGNITO"]
  access_token_validity = {{ c.access_token_minutes }}
  id_token_validity = {{ c.access_token_minutes }}
  refresh_token_validity = {{ c.refresh_token_days }}
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation = true

  token_validity_units {
    access_token = "minutes"
    id_token = "minutes"
    refresh_token = "days"
  }
}
{% endfor %}
