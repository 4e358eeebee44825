# Fails the plan with a readable message when topology.json refers to things it
# does not declare (otherwise the first symptom is an obscure lookup error).
resource "terraform_data" "topology" {
  input = sha256(file("${path.module}/../topology.json"))

  lifecycle {
    precondition {
      condition = alltrue([
        for sub in values(local.topology.subscriptions) :
        contains(keys(local.topics), sub.topic) && (!can(sub.dead_letter.topic) || contains(keys(local.topics), try(sub.dead_letter.topic, "")))
      ])
      error_message = "topology.json: every subscription's topic and dead_letter.topic must be declared under topics."
    }
    precondition {
      condition = alltrue([
        for sub in values(local.topology.subscriptions) :
        (try(sub.push_to, null) != null) != try(sub.pull, false)
      ])
      error_message = "topology.json: every subscription must have either push_to or pull: true (not both, not neither)."
    }
    precondition {
      condition     = alltrue([for sub in values(local.push_subscriptions) : contains(keys(local.functions), sub.push_to)])
      error_message = "topology.json: every push_to must name a function."
    }
    precondition {
      condition     = alltrue(flatten([for fn in values(local.functions) : [for topic in fn.publishes : contains(keys(local.topics), topic)]]))
      error_message = "topology.json: every function's publishes must name declared topics."
    }
  }
}
