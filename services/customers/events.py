"""Events the customers service emits (routing key = name).

Both carry the customer snapshot: id, code, kind, name, status, country, language, branch_id,
department_id, salesperson_id, preferred_sales_agent_id, collections_agent_id, created_by (with branch,
department and salesperson, who may reach the customer) and version (the
card's version after the change, so a consumer drops an older event). No phones, e-mails, tax
numbers or PINs travel in events.
"""

EMITTED = {
    "customer.created.v1": "A customer was created; data: the customer snapshot (id, code, kind, name, status, "
                           "country, language, branch_id, department_id, salesperson_id, "
                           "preferred_sales_agent_id, collections_agent_id, created_by, version).",
    "customer.updated.v1": "Something on a customer's card changed (master data, other phones, contacts, lines, "
                           "flashes, or the preferred sales agent in a bulk change: one event per customer); "
                           "data: the customer snapshot as in customer.created.v1 after the change, plus "
                           "'changed': the names of the changed fields as entity.field (customer.phone, "
                           "line.status, contact.created…), never their values.",
    "followup.scheduled.v1": "An interaction's follow-up was scheduled (seed 002: day and time, copy to colleagues "
                             "and the supervisor); data: id, customer_id, customer_code, interaction_id, "
                             "interaction_number, organiser_id, starts_at, ends_at (UTC ISO 8601), time_zone (the "
                             "IANA zone it was set in), subject, location (nullable), participant_ids and copy_ids "
                             "(directory user ids). No addresses: invitations look them up.",
}
