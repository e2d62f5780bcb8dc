
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

variable "callback_urls" {
  description = "OAuth callback URLs by envc client name, for the clients that have them."
  type = map(list(string))
  default = {}

  validation {
    condition = alltrue([for urls in values(var.callback_urls) : length(urls) > 0 && alltrue([for u in urls : can(regex("^[a-z][a-z0-9+.-]*://", u))])])
    error_message = "callback_urls must map client names to non-empty lists of URLs."
  }
}
