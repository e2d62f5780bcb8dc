
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\", e.g. \"am-prod\"."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}

variable "advanced_security" {
  description = "Cognito advanced security (threat protection) in ENFORCED mode; needs the PLUS feature plan."
  type = bool
  default = true
}

variable "deletion_protection" {
  description = "Deletion protection of the user pool."
  type = bool
  default = true
}
