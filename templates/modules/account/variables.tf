
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\" of the owning environment, e.g. \"am-prod\"."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}
