def test_unfreeze_ticket_round_trip(make_ticket, pdf_bytes):
    ticket = make_ticket()
    assert ticket.upload("passport", pdf_bytes, "passport.pdf").status_code == 201
    response = ticket.submit()
    assert response.status_code == 409
    assert response.json["error"]["missing"] == ["card_front", "card_transactions"]
    assert ticket.upload("card_front", pdf_bytes, "card.pdf").status_code == 201
    assert ticket.submit().json["status"] == "awaiting_review"
