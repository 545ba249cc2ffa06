import { registry } from "@web/core/registry";

/**
 * A complaint from the portal to its rating, in three parts run by
 * different users (see tests/test_tour.py): the customer files it, an
 * agent answers and resolves it, the customer reads the answer and rates it.
 */
const SUBJECT = "Scratched table top";
const ANSWER = "We are sending you a new table top today.";

registry.category("web_tour.tours").add("crm_support_portal_file_complaint", {
    steps: () => [
        {
            content: "Write the subject",
            trigger: "form input[name='subject']",
            run: `edit ${SUBJECT}`,
        },
        {
            content: "Choose the type Complaint",
            trigger: "form select[name='type']",
            run() {
                const select = this.anchor;
                const option = [...select.options].find(
                    (o) => o.textContent.trim() === "Complaint"
                );
                if (!option) {
                    throw new Error("No type Complaint in the portal form");
                }
                select.value = option.value;
                select.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Describe the problem",
            trigger: "form textarea[name='description']",
            run: "edit The table top arrived with a deep scratch.",
        },
        {
            content: "Submit the complaint",
            trigger: "form button[type='submit']",
            run: "click",
        },
        {
            content: "The customer's request page is shown",
            trigger: `#card_header:contains(${SUBJECT})`,
        },
    ],
});

registry.category("web_tour.tours").add("crm_support_agent_answer_resolve", {
    steps: () => [
        {
            content: "Open the composer",
            trigger: ".o_form_view .o-mail-Chatter-sendMessage",
            run: "click",
        },
        {
            content: "Write the answer",
            trigger: ".o-mail-Composer-input",
            run: `edit ${ANSWER}`,
        },
        {
            content: "Send it to the customer",
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The answer is in the chatter",
            trigger: `.o-mail-Message-body:contains(${ANSWER})`,
        },
        {
            content: "Resolve the request",
            trigger: ".o_statusbar_status button:contains(Resolved)",
            run: "click",
        },
        {
            content: "The request is in the stage Resolved",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Resolved)",
        },
        {
            content: "The status bar saved the request as Resolved",
            trigger: ".o_form_renderer.o_form_saved",
            async run() {
                const id = parseInt(window.location.pathname.split("/").pop());
                const orm = odoo.__WOWL_DEBUG__.root.env.services.orm;
                for (let attempt = 0; attempt < 100; attempt++) {
                    const [ticket] = await orm.read("helpdesk.ticket", [id], ["stage_id"]);
                    if (ticket.stage_id && ticket.stage_id[1] === "Resolved") {
                        document.body.classList.add("o_crm_support_resolved");
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error("The request was not saved as Resolved");
            },
        },
        {
            content: "The request is resolved",
            trigger: "body.o_crm_support_resolved",
        },
    ],
});

registry.category("web_tour.tours").add("crm_support_portal_rate", {
    steps: () => [
        {
            content: "The customer sees the agent's answer (portal chatter)",
            trigger: `#chatterRoot:shadow .o-mail-Message-body:contains(${ANSWER})`,
        },
        {
            content: "Rate the request: satisfied",
            trigger: "a.o_support_rate_5",
            run: "click",
        },
        {
            content: "Leave a comment",
            trigger: ".o_rating_page_submit textarea[name='feedback']",
            run: "edit Quick and friendly, thank you.",
        },
        {
            content: "Send the rating",
            trigger: ".o_rating_page_submit button[type='submit']",
            run: "click",
        },
        {
            content: "The rating is recorded",
            trigger: ".o_rating_page_thank_you",
        },
    ],
});
