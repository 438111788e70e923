"""Events the customers service emits (routing key = name)."""

EMITTED = {
    "customer.created.v1": "A customer was created; data: the customer snapshot (id, code, kind, name, "
                           "status, branch_id, department_id, salesperson_id, version).",
}
